-- Idempotency keys of run submissions (single and batch), shared by every gateway instance. A row is the claim a
-- submission takes before it publishes: the first insert for (handle, key) wins, every other request with that key
-- reads the winner's row. accepted_at is set once the winner's SubmitRun is durable in Kafka; a winner whose publish
-- fails deletes its row. Rows live until expires_at (coderun.idempotency.retention) and are then purged.
create table idempotency_keys (
    handle          text        not null,
    key             text        not null,
    request_sha256  bytea       not null,
    run_id          uuid        not null,
    created_at      timestamptz not null,
    accepted_at     timestamptz,
    expires_at      timestamptz not null,
    primary key (handle, key)
);

create index idempotency_keys_by_expiry on idempotency_keys (expires_at);
