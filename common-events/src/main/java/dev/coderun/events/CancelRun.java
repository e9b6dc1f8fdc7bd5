package dev.coderun.events;

import java.time.Instant;

/**
 * Stop this run. A queued run ends CANCELLED without being dispatched; a running one is killed by the worker holding
 * it and ends CANCELLED with the output it produced. A run that already ended is not changed, so a repeated or
 * redelivered cancel is harmless.
 *
 * @param requestedBy the token subject that asked for it
 */
public record CancelRun(String handle, String runId, String requestedBy, Instant at) implements RunCommand {}
