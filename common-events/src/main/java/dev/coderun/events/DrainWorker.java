package dev.coderun.events;

import java.time.Instant;

/**
 * Tells worker {@code workerId} to take no more dispatches and let its running runs finish. A worker applies it only
 * when it was published after the worker process started ({@code at} after its start), so a restarted worker starts
 * active again.
 *
 * @param deadline when the runs still running are handed back: killed unreported, so the scheduler's lease gives the
 *     attempts up and runs them again while their {@code max_attempts} allow; null: they may run to their end
 * @param at when the operator asked, on the gateway's clock
 */
public record DrainWorker(String workerId, Instant deadline, Instant at) implements FleetDirective {}
