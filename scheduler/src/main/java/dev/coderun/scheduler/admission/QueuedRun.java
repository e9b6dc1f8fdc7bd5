package dev.coderun.scheduler.admission;

/** A run waiting in its handle's queue; queue order is {@code seq} order. */
public record QueuedRun(String runId, long seq) {}
