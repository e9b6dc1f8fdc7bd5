package dev.coderun.worker.sandbox;

/**
 * How a run's container ended.
 *
 * @param timedOut the process outlived its timeout and was killed
 * @param exitCode as the engine reports it; null if it reports none
 * @param oomKilled the kernel killed the process for exceeding its memory limit
 * @param durationMs the process's run time, from the engine's start and finish times when it reports them
 */
public record ContainerExit(boolean timedOut, Integer exitCode, boolean oomKilled, long durationMs) {}
