package dev.coderun.gateway.api;

import io.micrometer.context.ContextRegistry;
import org.slf4j.MDC;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Hooks;

/**
 * Puts the request id into the logging MDC ({@code request_id}, shown by {@code logging.pattern.level}) for
 * everything logged while a request is handled, on whichever thread the work runs: {@link RequestIds} writes the id
 * into the Reactor context, and Reactor's automatic context propagation restores it as the MDC entry through the
 * ThreadLocalAccessor registered here.
 */
@Component
public class RequestIdLogging {

    /** The Reactor context key and the MDC key. */
    public static final String KEY = "request_id";

    public RequestIdLogging() {
        install();
    }

    /** Registers the MDC accessor and turns on automatic propagation; calling it again changes nothing. */
    public static void install() {
        ContextRegistry.getInstance().registerThreadLocalAccessor(
                KEY, () -> MDC.get(KEY), value -> MDC.put(KEY, value), () -> MDC.remove(KEY));
        Hooks.enableAutomaticContextPropagation();
    }
}
