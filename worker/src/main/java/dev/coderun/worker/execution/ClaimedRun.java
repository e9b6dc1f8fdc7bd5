package dev.coderun.worker.execution;

import java.util.Optional;
import java.util.function.Consumer;

/**
 * A run attempt holding one of this worker's slots, and the way to stop it. The first stop counts; later ones change
 * nothing. A stop interrupts the run's thread only during its container phase, while {@link RunLifecycle} runs the
 * container until its end is known: an attempt stopped before the phase enters it interrupted (so its container is
 * never started, or killed at once), and one stopped after it reports its end undisturbed (the process already ended
 * by itself, and its container may still be being removed). Thread-safe.
 */
public final class ClaimedRun {

    private final String runId;
    private final int attempt;
    private final Consumer<ClaimedRun> onEnded;
    private Stop stop;
    private Thread containerThread;
    private boolean containerPhaseOver;
    private boolean accepted;

    /** @param accepted whether the dispatch's acceptance is already recorded; if not, {@link #accepted} says when */
    ClaimedRun(String runId, int attempt, boolean accepted, Consumer<ClaimedRun> onEnded) {
        this.accepted = accepted;
        this.runId = runId;
        this.attempt = attempt;
        this.onEnded = onEnded;
    }

    public String runId() {
        return runId;
    }

    public int attempt() {
        return attempt;
    }

    /**
     * Stops the attempt: kills its container, or keeps it from starting one.
     *
     * @return whether this call stopped it: false when it was stopped before or its process already ended
     */
    public synchronized boolean stop(StopCause cause) {
        if (stop != null || containerPhaseOver) {
            return false;
        }
        stop = new Stop(cause, System.nanoTime());
        if (containerThread != null) {
            containerThread.interrupt();
        }
        return true;
    }

    /**
     * The broker recorded this worker's acceptance of the dispatch: the attempt's process may start
     * ({@link #awaitAccepted}). A refused acceptance is a {@link #stop} ({@link StopCause#NOT_TAKEN}) instead.
     */
    public synchronized void accepted() {
        accepted = true;
        notifyAll();
    }

    /**
     * Waits on the run's thread, in its container phase, until the dispatch's acceptance is recorded
     * ({@link #accepted}); a stop meanwhile interrupts the wait.
     */
    synchronized void awaitAccepted() throws InterruptedException {
        while (!accepted) {
            wait();
        }
    }

    /** Called on the run's thread before it runs the container; from here on a stop interrupts that thread. */
    synchronized void enterContainerPhase() {
        containerThread = Thread.currentThread();
        if (stop != null) {
            containerThread.interrupt();
        }
    }

    /**
     * Called on the run's thread once the process's end is known (its container may still exist, for the launcher to
     * remove) or the container is gone; from here on a stop changes nothing. Clears an interrupt a stop left, so that
     * reporting the end is not cut short.
     *
     * @return the stop, if the attempt was stopped
     */
    synchronized Optional<Stop> leaveContainerPhase() {
        containerThread = null;
        containerPhaseOver = true;
        Thread.interrupted();
        return Optional.ofNullable(stop);
    }

    /**
     * Called on the run's thread once its process ended by itself and that end is reported, before its container is
     * removed: the slot may go to the next run ({@link ActiveRuns#releaseEnded}).
     */
    void endReported() {
        onEnded.accept(this);
    }

    @Override
    public String toString() {
        return runId + "#" + attempt;
    }

    /** @param atNanos when the stop came, on {@link System#nanoTime()} */
    record Stop(StopCause cause, long atNanos) {}
}
