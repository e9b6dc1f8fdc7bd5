package dev.coderun.gateway.api;

import io.micrometer.context.ContextRegistry;
import org.slf4j.MDC;
import reactor.core.publisher.Hooks;

/**
 * Bridges a Reactor context key to the logging MDC entry of the same name: a ThreadLocalAccessor registered for it,
 * with Reactor's automatic context propagation on, restores the value as the MDC entry on whichever thread a
 * request's work runs, and removes it after.
 */
final class ReactorMdc {

    private ReactorMdc() {}

    /** Registers the accessor for {@code key} and turns on automatic propagation; calling it again changes nothing. */
    static void bridge(String key) {
        ContextRegistry.getInstance().registerThreadLocalAccessor(
                key, () -> MDC.get(key), value -> MDC.put(key, value), () -> MDC.remove(key));
        Hooks.enableAutomaticContextPropagation();
    }
}
