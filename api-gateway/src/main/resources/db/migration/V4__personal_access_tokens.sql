-- Personal access tokens: opaque bearer tokens minted through POST /v2/tokens (or bin/coderun token --pat). The
-- secret is shown once and never stored: token_sha256 is its SHA-256 (auth.PatSecret says why a fast hash suffices
-- for a 238-bit random secret), looked up through its unique index on every request the token makes. display_prefix
-- is what a listing shows of the secret. handles and scopes are what the token may do; created_by is the subject it
-- acts as. last_used_at is written at most once per coderun.auth.last-used-every, not on every request.
create table personal_access_tokens (
    id              uuid        primary key,
    token_sha256    bytea       not null unique,
    display_prefix  text        not null,
    name            text        not null,
    created_by      text        not null,
    handles         text[]      not null,
    scopes          text[]      not null,
    created_at      timestamptz not null,
    expires_at      timestamptz,
    last_used_at    timestamptz,
    revoked_at      timestamptz
);

-- The listing: newest first, keyset on (created_at, id).
create index personal_access_tokens_by_creation on personal_access_tokens (created_at desc, id desc);
