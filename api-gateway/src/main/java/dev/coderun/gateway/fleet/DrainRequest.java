package dev.coderun.gateway.fleet;

/**
 * The body of {@code POST /v2/fleet/workers/{workerId}/drain}; optional.
 *
 * @param deadlineSeconds how long the worker's running runs may still run before they are handed back (0: at once);
 *     absent: they run to their end
 */
record DrainRequest(Long deadlineSeconds) {}
