package dev.coderun.events;

import java.time.Instant;

/** Tells worker {@code workerId}, draining or drained, to take dispatches again. */
public record UndrainWorker(String workerId, Instant at) implements FleetDirective {}
