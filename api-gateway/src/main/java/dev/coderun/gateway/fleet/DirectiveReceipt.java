package dev.coderun.gateway.fleet;

import java.time.Instant;

/**
 * What a drain or undrain answers (202): the directive is on the control topic; the worker's heartbeats show when it
 * took effect.
 *
 * @param directive {@code drain} or {@code undrain}
 * @param deadline when the runs still running are handed back; null without one, and for an undrain
 * @param worker the worker as listed when the directive was sent
 */
record DirectiveReceipt(String workerId, String directive, Instant deadline, Instant at, WorkerStatus worker) {}
