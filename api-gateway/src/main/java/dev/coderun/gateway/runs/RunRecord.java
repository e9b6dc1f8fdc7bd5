package dev.coderun.gateway.runs;

import dev.coderun.events.RunError;
import dev.coderun.events.RunStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A run as the read model holds it and the API shows it: every run field of SPEC §3. {@code stdin} is null in a
 * listing (it may be up to a MiB per run); a single run's record and the submit answer carry it.
 * {@code secretEnvNames} names the run's {@code secret_env} entries: their values are never here. {@code traceId} is
 * the W3C trace id of the run's trace (32 hex digits), null when the run was submitted with tracing off or unsampled.
 */
public record RunRecord(
        UUID id,
        String handle,
        String runtimeKey,
        long runtimeVersion,
        String name,
        String command,
        List<String> args,
        Map<String, String> env,
        String stdin,
        String cwd,
        int timeoutSeconds,
        long maxOutputBytes,
        int maxAttempts,
        Map<String, String> labels,
        RunStatus status,
        List<Transition> transitions,
        int attempt,
        String workerId,
        Integer exitCode,
        Long durationMs,
        String terminationReason,
        RunError error,
        Instant createdAt,
        Instant queuedAt,
        Instant startedAt,
        Instant finishedAt,
        Instant updatedAt,
        String triggeredBy,
        List<String> secretEnvNames,
        String traceId) {

    /** One entry of a run's history. */
    public record Transition(RunStatus status, Instant at, String reason, String workerId, int attempt) {

        /** A run's attempt before the scheduler has queued it for its first one. */
        public static final int PENDING_ATTEMPT = 0;

        /** The first entry of every run's history. */
        public static Transition pending(Instant at) {
            return new Transition(RunStatus.PENDING, at, null, null, PENDING_ATTEMPT);
        }
    }

    /**
     * The record of a run just accepted: PENDING, with its first transition, as the submit answer shows it.
     *
     * @param traceId the run's trace (its submit's publish span), or null when it is not traced
     */
    public static RunRecord pending(dev.coderun.events.RunSpec spec, Instant at, String traceId) {
        return new RunRecord(
                UUID.fromString(spec.runId()), spec.handle(), spec.runtime().key(), spec.runtime().version(),
                spec.name(), spec.command(), spec.args(), spec.env(), spec.stdin(), spec.cwd(), spec.timeoutSeconds(),
                spec.maxOutputBytes(), spec.maxAttempts(), spec.labels(), RunStatus.PENDING,
                List.of(Transition.pending(at)), Transition.PENDING_ATTEMPT, null, null, null, null, null, at, null,
                null, null, at, spec.triggeredBy(), spec.secretEnvNames(), traceId);
    }

    public RunRecord withTransitions(List<Transition> history) {
        return new RunRecord(id, handle, runtimeKey, runtimeVersion, name, command, args, env, stdin, cwd,
                timeoutSeconds, maxOutputBytes, maxAttempts, labels, status, history, attempt, workerId, exitCode, durationMs,
                terminationReason, error, createdAt, queuedAt, startedAt, finishedAt, updatedAt, triggeredBy,
                secretEnvNames, traceId);
    }
}
