-- What GET .../code-runs needs. Every listing is one handle's runs newest first, (created_at, id) descending, so each
-- filter that names a column has an index starting (handle, that column) and ending in that order: the query walks
-- it from the cursor and stops after one page. runs_by_handle_newest (V1) serves the unfiltered list and the
-- created_after/created_before range. Label filters (labels @> '{"k":"v"}', labels ?& array['k']) use the GIN index;
-- the planner picks it for rare labels and walks the newest-first index for common ones.

create index runs_by_handle_status_newest on runs (handle, status, created_at desc, id desc);
create index runs_by_handle_runtime_newest on runs (handle, runtime_key, created_at desc, id desc);
create index runs_by_labels on runs using gin (labels);

-- SPEC §3 lists stdin among a run's fields: the record keeps what the run was given, as its UTF-8 bytes (text cannot
-- hold the NUL a process's input may contain). Rows written before this migration had no column for it and read as
-- empty.
alter table runs add column stdin bytea not null default ''::bytea;
