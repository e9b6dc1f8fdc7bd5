package dev.coderun.worker.execution;

import dev.coderun.worker.WorkerProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * This worker's slots and the run attempts holding them. A run attempt holds its slot from the moment its dispatch is
 * taken until its {@code RunFinished} is acknowledged by Kafka, so a heartbeat that no longer lists a run was sent after
 * the run's end was durable. A run whose process ended by itself gives its slot up then ({@link #releaseEnded}), while
 * its container is still being removed (for a warm container, 100–250 ms of engine work that runs nothing), so the next
 * dispatch does not wait on the removal; at most {@link #slots()} containers are removed that way at once, and a run
 * that finds them all busy keeps its slot until its own removal ends. So this worker never runs more processes than
 * slots, and never holds more than twice as many run containers. The one place run attempts are stopped from.
 * Thread-safe.
 */
@Component
public final class ActiveRuns implements MeterBinder {

    private final int slots;
    private final Map<Attempt, ClaimedRun> active = new LinkedHashMap<>();
    /** Runs that gave their slot up at their end and whose containers are still being removed. */
    private final Set<ClaimedRun> removing = new HashSet<>();

    @Autowired
    public ActiveRuns(WorkerProperties properties) {
        this(properties.slots());
    }

    ActiveRuns(int slots) {
        this.slots = slots;
    }

    public int slots() {
        return slots;
    }

    /** Publishes the slots as {@code coderun.worker.slots}, tagged {@code state} {@code free} or {@code busy}. */
    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("coderun.worker.slots", this, ActiveRuns::free).tag("state", "free")
                .description("this worker's run slots, free or held by a run attempt").register(registry);
        Gauge.builder("coderun.worker.slots", this, runs -> runs.slots - runs.free()).tag("state", "busy")
                .description("this worker's run slots, free or held by a run attempt").register(registry);
    }

    public synchronized int free() {
        return slots - active.size();
    }

    public synchronized boolean holds(String runId, int attempt) {
        return active.containsKey(new Attempt(runId, attempt));
    }

    /** Takes a slot for the attempt, whose dispatch's acceptance is recorded. */
    public ClaimedRun claim(String runId, int attempt) {
        return claim(runId, attempt, true);
    }

    /**
     * Takes a slot for the attempt while its dispatch's acceptance is still being recorded: its process waits for
     * {@link ClaimedRun#accepted} (or a stop).
     */
    public ClaimedRun claimBeforeAcceptance(String runId, int attempt) {
        return claim(runId, attempt, false);
    }

    private synchronized ClaimedRun claim(String runId, int attempt, boolean accepted) {
        if (active.size() >= slots) {
            throw new IllegalStateException("no free slot for run " + runId);
        }
        ClaimedRun claimed = new ClaimedRun(runId, attempt, accepted, this::releaseEnded);
        if (active.putIfAbsent(new Attempt(runId, attempt), claimed) != null) {
            throw new IllegalStateException("run " + runId + " attempt " + attempt + " already holds a slot");
        }
        return claimed;
    }

    /** Frees the run's slot, or its place among the removals when it gave the slot up at its end. */
    public synchronized void release(ClaimedRun run) {
        if (!removing.remove(run)) {
            active.remove(new Attempt(run.runId(), run.attempt()), run);
        }
        notifyAll();
    }

    /**
     * Called once the end of the run's process was reported (acknowledged by Kafka, or its publishing failed, as
     * {@link #release} would follow anyway) and its container is about to be removed: frees the slot now when fewer
     * than {@link #slots()} removals are under way; otherwise the slot stays taken until {@link #release}.
     */
    synchronized void releaseEnded(ClaimedRun run) {
        if (removing.size() >= slots || !active.remove(new Attempt(run.runId(), run.attempt()), run)) {
            return;
        }
        removing.add(run);
        notifyAll();
    }

    /**
     * Stops every attempt of the run up to {@code attempt} that holds a slot here.
     *
     * @return the attempts this call stopped (not those stopped before or already ending)
     */
    public synchronized List<ClaimedRun> stop(String runId, int attempt, StopCause cause) {
        List<ClaimedRun> stopped = new ArrayList<>();
        for (ClaimedRun run : active.values()) {
            if (run.runId().equals(runId) && run.attempt() <= attempt && run.stop(cause)) {
                stopped.add(run);
            }
        }
        return stopped;
    }

    /** Stops every attempt holding a slot; returns those this call stopped. */
    public synchronized List<ClaimedRun> stopAll(StopCause cause) {
        List<ClaimedRun> stopped = new ArrayList<>();
        for (ClaimedRun run : active.values()) {
            if (run.stop(cause)) {
                stopped.add(run);
            }
        }
        return stopped;
    }

    /** How many slots run attempts hold. */
    public synchronized int busy() {
        return active.size();
    }

    /** The attempts holding a slot, in the order they took it. */
    public synchronized List<ClaimedRun> claimed() {
        return List.copyOf(active.values());
    }

    /** The ids of the runs holding a slot, in the order they took it. */
    public synchronized List<String> runIds() {
        List<String> ids = new ArrayList<>(active.size());
        active.keySet().forEach(attempt -> ids.add(attempt.runId()));
        return ids;
    }

    /** Waits until a slot is free; returns false if none freed within {@code timeout}. */
    public synchronized boolean awaitFree(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (active.size() >= slots) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    private record Attempt(String runId, int attempt) {}
}
