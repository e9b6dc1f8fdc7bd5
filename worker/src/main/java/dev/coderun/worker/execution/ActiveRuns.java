package dev.coderun.worker.execution;

import dev.coderun.worker.WorkerProperties;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * This worker's slots and the run attempts holding them. A run attempt holds its slot from the moment its dispatch is
 * taken until its {@code RunFinished} is acknowledged by Kafka, so a heartbeat that no longer lists a run was sent after
 * the run's end was durable. Thread-safe.
 */
@Component
public final class ActiveRuns {

    private final int slots;
    private final Set<Attempt> active = new LinkedHashSet<>();

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

    public synchronized int free() {
        return slots - active.size();
    }

    public synchronized boolean holds(String runId, int attempt) {
        return active.contains(new Attempt(runId, attempt));
    }

    /** Takes a slot for the attempt. */
    public synchronized void claim(String runId, int attempt) {
        if (active.size() >= slots) {
            throw new IllegalStateException("no free slot for run " + runId);
        }
        if (!active.add(new Attempt(runId, attempt))) {
            throw new IllegalStateException("run " + runId + " attempt " + attempt + " already holds a slot");
        }
    }

    public synchronized void release(String runId, int attempt) {
        active.remove(new Attempt(runId, attempt));
        notifyAll();
    }

    /** The ids of the runs holding a slot, in the order they took it. */
    public synchronized List<String> runIds() {
        List<String> ids = new ArrayList<>(active.size());
        active.forEach(attempt -> ids.add(attempt.runId()));
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
