-- Secrets (SPEC §4, seed 002): a runtime's secrets are stored sealed (AES-256-GCM under a key of coderun.secrets.keys,
-- as v1.<key id>.<base64url>; dev.coderun.events.SecretKeyRing), never in clear. Their names are kept beside them for
-- the API, and an HMAC fingerprint (<key id>.<base64url>) so that a PUT of the same secrets changes nothing.
-- A run keeps the names of its secret_env only: its values travel sealed in the run's Kafka commands, which is all
-- that ever starts it (re-attempts included), so the read model has no use for them.
alter table runtimes
    add column secret_names        jsonb not null default '[]'::jsonb,
    add column secrets_fingerprint text,
    add column secrets_sealed      text;

alter table runs add column secret_env_names jsonb not null default '[]'::jsonb;
