-- The W3C trace id (32 hex digits) of a run's trace: the span of its submit's publish and everything the scheduler,
-- the worker and the projector do for the run continue it. Null for a run submitted with tracing off or before V7.
alter table runs add column trace_id text;
