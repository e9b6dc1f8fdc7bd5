package dev.coderun.events;

import java.time.Instant;

/**
 * Run this spec. Produced by the gateway once the request is validated; the scheduler owns what happens next.
 * Redelivery is harmless: the scheduler accepts a run id once.
 */
public record SubmitRun(RunSpec spec, Instant at) implements RunCommand {

    @Override
    public String handle() {
        return spec.handle();
    }

    @Override
    public String runId() {
        return spec.runId();
    }
}
