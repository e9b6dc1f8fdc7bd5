package dev.coderun.worker.control;

import dev.coderun.events.StopRun;
import dev.coderun.worker.WorkerProperties;
import dev.coderun.worker.execution.StopCause;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The run attempts the scheduler stopped, as the control topic said: per run, the highest stopped attempt and why.
 * Every attempt of the run up to that one is stopped. A stop is remembered for {@code control.look-back} after this
 * worker read it; beyond {@code control.max-stopped-attempts} runs the one read longest ago is forgotten first. No I/O:
 * the caller passes the time. Thread-safe.
 */
@Component
public final class StoppedAttempts {

    private final Duration rememberFor;
    private final int maxRuns;
    /** In the order the entries were last recorded, which is the order they expire in. */
    private final LinkedHashMap<String, Entry> byRun = new LinkedHashMap<>();

    @Autowired
    StoppedAttempts(WorkerProperties properties) {
        this(properties.control().lookBack(), properties.control().maxStoppedAttempts());
    }

    StoppedAttempts(Duration rememberFor, int maxRuns) {
        this.rememberFor = rememberFor;
        this.maxRuns = maxRuns;
    }

    /**
     * Remembers a stop directive. A directive for an attempt below the one remembered for its run changes nothing; for
     * the same attempt the first reason stays.
     *
     * @return how the attempts the directive names are to be stopped
     */
    public synchronized StopCause record(StopRun stop, Instant now) {
        expire(now);
        StopCause cause = causeOf(stop.reason());
        Entry known = byRun.get(stop.runId());
        if (known == null || stop.attempt() > known.attempt()) {
            byRun.remove(stop.runId());
            byRun.put(stop.runId(), new Entry(stop.attempt(), cause, now.plus(rememberFor)));
        } else if (stop.attempt() == known.attempt()) {
            byRun.remove(stop.runId());
            byRun.put(stop.runId(), new Entry(known.attempt(), known.cause(), now.plus(rememberFor)));
        }
        if (byRun.size() > maxRuns) {
            byRun.pollFirstEntry();
        }
        return cause;
    }

    /** Why the attempt was stopped; empty when no remembered directive covers it. */
    public synchronized Optional<StopCause> stopOf(String runId, int attempt, Instant now) {
        expire(now);
        Entry known = byRun.get(runId);
        return known != null && attempt <= known.attempt() ? Optional.of(known.cause()) : Optional.empty();
    }

    synchronized int size() {
        return byRun.size();
    }

    /**
     * A reason this build does not know still stops the attempt (nothing may run that the scheduler wants stopped),
     * reported as lost, the way the scheduler treats an attempt it gave up.
     */
    static StopCause causeOf(String reason) {
        return StopRun.CANCELLED.equals(reason) ? StopCause.CANCELLED : StopCause.LEASE_EXPIRED;
    }

    private void expire(Instant now) {
        Iterator<Map.Entry<String, Entry>> oldestFirst = byRun.entrySet().iterator();
        while (oldestFirst.hasNext() && !oldestFirst.next().getValue().expiresAt().isAfter(now)) {
            oldestFirst.remove();
        }
    }

    private record Entry(int attempt, StopCause cause, Instant expiresAt) {}
}
