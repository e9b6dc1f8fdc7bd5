-- The gateway's read model. Runtimes are written here directly (the gateway owns them); runs are materialized from
-- Kafka events by the projector, plus the PENDING row the gateway writes when it accepts a submission.

create table runtimes (
    handle                      text        not null,
    key                         text        not null,
    id                          uuid        not null unique,
    display_name                text,
    description                 text,
    image_uri                   text        not null,
    image_digest                text        not null,
    cpu_cores                   numeric(6, 3) not null,
    memory_mb                   integer     not null,
    pids_limit                  integer     not null,
    timeout_seconds             integer     not null,
    max_timeout_seconds         integer     not null,
    network                     text        not null,
    read_only_rootfs            boolean     not null,
    env                         jsonb       not null,
    labels                      jsonb       not null,
    max_active_runs             integer,
    enabled                     boolean     not null,
    version                     bigint      not null,
    validation_status           text        not null,
    validation_reason           text,
    validation_expected_digest  text,
    validation_actual_digest    text,
    validation_checked_at       timestamptz,
    created_at                  timestamptz not null,
    updated_at                  timestamptz not null,
    primary key (handle, key)
);

create table runs (
    id                  uuid        primary key,
    handle              text        not null,
    runtime_key         text        not null,
    runtime_version     bigint      not null,
    name                text,
    command             text        not null,
    args                jsonb       not null,
    env                 jsonb       not null,
    cwd                 text,
    timeout_seconds     integer     not null,
    max_output_bytes    bigint      not null,
    max_attempts        integer     not null,
    labels              jsonb       not null,
    triggered_by        text        not null,
    status              text        not null,
    attempt             integer     not null default 0,
    worker_id           text,
    exit_code           integer,
    duration_ms         bigint,
    termination_reason  text,
    error_code          text,
    error_message       text,
    stdout_bytes        bigint,
    stderr_bytes        bigint,
    stdout_truncated    boolean,
    stderr_truncated    boolean,
    output_chunks       integer,
    created_at          timestamptz not null,
    queued_at           timestamptz,
    started_at          timestamptz,
    finished_at         timestamptz,
    updated_at          timestamptz not null
);

create index runs_by_handle_newest on runs (handle, created_at desc, id desc);

create table run_transitions (
    run_id      uuid        not null references runs (id),
    status      text        not null,
    attempt     integer     not null,
    at          timestamptz not null,
    reason      text,
    worker_id   text,
    primary key (run_id, attempt, status)
);

create table run_output_chunks (
    run_id      uuid        not null,
    attempt     integer     not null,
    seq         integer     not null,
    stream      text        not null,
    data        bytea       not null,
    primary key (run_id, attempt, seq)
);
