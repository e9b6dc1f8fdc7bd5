package dev.coderun.gateway.api;

import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/**
 * Puts the id of the run a request is about into the logging MDC ({@code run_id}, shown by
 * {@code logging.pattern.correlation}) for everything logged while the request is handled, as {@link RequestIdLogging}
 * does for the request id: the id goes into the Reactor context, and Reactor's automatic context propagation restores
 * it as the MDC entry on whichever thread the work runs.
 *
 * <p>A route naming a run ({@code /v2/handles/{handle}/code-runs/{runId}} and the routes below it: read, output,
 * events, cancel) carries it from the start, when the id is a UUID (any other names no run). A route that creates a run
 * learns its id on the way: what it does from then on runs under {@link #about(String)}. The {@link ApiErrorHandler},
 * which runs outside the request's context, reads the id from the exchange ({@link #of}).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
public class RunIdLogging implements WebFilter {

    /** The Reactor context key and the MDC key. */
    public static final String KEY = "run_id";

    private static final String ATTRIBUTE = RunIdLogging.class.getName();
    private static final Pattern RUN_PATH = Pattern.compile("^/v2/handles/[^/]+/code-runs/([^/]+)(?:/.*)?$");

    public RunIdLogging() {
        install();
    }

    /** Registers the MDC accessor and turns on automatic propagation; calling it again changes nothing. */
    public static void install() {
        ReactorMdc.bridge(KEY);
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String runId = runIdIn(exchange.getRequest().getPath().pathWithinApplication().value());
        if (runId == null) {
            return chain.filter(exchange);
        }
        exchange.getAttributes().put(ATTRIBUTE, runId);
        return chain.filter(exchange).contextWrite(about(runId));
    }

    /** For {@code contextWrite}: what runs upstream of it logs {@code runId} as the run's id. */
    public static Function<Context, Context> about(String runId) {
        return ctx -> ctx.put(KEY, runId);
    }

    /** The id of the run the exchange's path names; null when it names none. */
    public static String of(ServerWebExchange exchange) {
        return exchange.getAttribute(ATTRIBUTE);
    }

    /** The run id a path names, in its canonical (lower-case) form; null when the path names no run. */
    static String runIdIn(String path) {
        Matcher matcher = RUN_PATH.matcher(path);
        if (!matcher.matches()) {
            return null;
        }
        try {
            UUID id = UUID.fromString(matcher.group(1));
            // UUID.fromString also takes short groups ("1-1-1-1-1"); only the canonical spelling names a run.
            return id.toString().equalsIgnoreCase(matcher.group(1)) ? id.toString() : null;
        } catch (IllegalArgumentException notAnId) {
            return null;
        }
    }
}
