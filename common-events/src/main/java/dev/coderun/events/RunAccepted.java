package dev.coderun.events;

import java.time.Instant;

/**
 * The scheduler took the run in; carries the whole spec so the read model can be rebuilt from events alone, except its
 * sealed secrets ({@link RunSpec#withoutSealedSecrets()}): no event carries a secret.
 */
public record RunAccepted(RunSpec spec, Instant at) implements RunEvent {

    @Override
    public String handle() {
        return spec.handle();
    }

    @Override
    public String runId() {
        return spec.runId();
    }

    @Override
    public RunStatus status() {
        return RunStatus.PENDING;
    }
}
