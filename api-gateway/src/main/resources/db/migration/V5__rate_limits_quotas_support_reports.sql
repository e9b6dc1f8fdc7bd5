-- Rate limits (gateway.ratelimit): bucket4j's token buckets, one row per (route class, limit, token), shared by every
-- gateway instance. bucket4j's PostgreSQL proxy manager locks a row (select ... for update), refills and takes from
-- the bucket in its serialized state, and writes it back with expires_at (epoch millis), the time the bucket will be
-- full again plus a minute; rows past it say nothing a fresh bucket would not, and are purged.
create table rate_limit_buckets (
    id          text   primary key,
    state       bytea,
    expires_at  bigint
);

create index rate_limit_buckets_by_expiry on rate_limit_buckets (expires_at);

-- The daily write quota (gateway.quota): writes per handle and UTC day. A reservation is one upsert that adds as many
-- writes as fit under the quota; last_granted is what the latest reservation added, so that one statement can also
-- answer it. Counts of days before yesterday are purged.
create table daily_writes (
    handle        text   not null,
    day           date   not null,
    used          bigint not null,
    last_granted  bigint not null,
    primary key (handle, day)
);

create index daily_writes_by_day on daily_writes (day);

-- Support reports (gateway.support), as filed with POST /v2/support/report: the report's fields, who filed it (the
-- token's subject and credential id) and the id of the request that filed it. named_request_id is the request id the
-- report points at. Listed newest first.
create table support_reports (
    id                uuid        primary key,
    created_at        timestamptz not null,
    summary           text        not null,
    details           text        not null,
    handle            text,
    session_id        text,
    named_request_id  text,
    repro_artifact    text,
    filed_by_subject  text        not null,
    filed_by_token    text        not null,
    request_id        text        not null
);

create index support_reports_newest on support_reports (created_at desc, id desc);
