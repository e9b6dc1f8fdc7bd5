package dev.coderun.worker.sandbox;

import dev.coderun.events.OutputChunk.OutputStream;

/**
 * Hears what happens inside a container while {@link ContainerLauncher#run} runs it. {@link #output} is called from the
 * engine's stream thread, possibly while {@link #started} runs; each call's bytes follow the previous call's bytes of
 * the same stream. {@link #ended} comes after every {@link #output}.
 */
public interface ContainerObserver {

    /**
     * The container (cold) or the exec in a warm container is created; its start comes next. Called at most once,
     * before {@link #started}; tracing uses it to tell the create from the start.
     */
    default void created() {}

    /**
     * The process is about to start (cold: the engine's start; warm: the script handed to the waiting shell): the last
     * moment at which the run can be called off with nothing of it having run. Called at most once, on the thread that
     * called {@link ContainerLauncher#run}, after {@link #created}; blocking here delays the start. Throwing
     * {@link InterruptedException} stops the run as an interrupt of that thread does.
     */
    default void beforeStart() throws InterruptedException {}

    /** The process is running. Called at most once. */
    void started();

    /** The process wrote these bytes; the array is not reused by the caller. */
    void output(OutputStream stream, byte[] bytes);

    /**
     * The process ended by itself, timed out or could not start, and all of its end is known: its exit code, the OOM
     * verdict, and every byte it wrote has reached {@link #output}. Called at most once, on the thread that called
     * {@link ContainerLauncher#run}, while the container still exists: {@code run} removes it after this returns, and
     * returns the same {@code exit}. Not called when {@code run} throws (a stop, an unavailable image, an engine
     * failure). What this throws is thrown by {@code run}, after the removal.
     */
    void ended(ContainerExit exit);
}
