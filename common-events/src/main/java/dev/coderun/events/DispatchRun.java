package dev.coderun.events;

import java.time.Instant;

/** Run this spec now; the scheduler has reserved capacity for it. {@code attempt} counts from 1. */
public record DispatchRun(RunSpec spec, int attempt, Instant at) implements WorkerDirective {

    @Override
    public String runId() {
        return spec.runId();
    }
}
