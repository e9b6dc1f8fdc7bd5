package dev.coderun.worker.sandbox;

import dev.coderun.events.OutputChunk.OutputStream;

/**
 * Hears what happens inside a container while {@link ContainerLauncher#run} runs it. {@link #output} is called from the
 * engine's stream thread, possibly while {@link #started} runs; each call's bytes follow the previous call's bytes of
 * the same stream.
 */
public interface ContainerObserver {

    /** The process is running. Called at most once. */
    void started();

    /** The process wrote these bytes; the array is not reused by the caller. */
    void output(OutputStream stream, byte[] bytes);
}
