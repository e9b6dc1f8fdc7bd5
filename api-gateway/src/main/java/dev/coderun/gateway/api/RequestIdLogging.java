package dev.coderun.gateway.api;

import org.springframework.stereotype.Component;

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
        ReactorMdc.bridge(KEY);
    }
}
