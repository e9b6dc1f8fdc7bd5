package dev.coderun.gateway.api;

import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/** Gives every exchange a request id (the client's {@code X-Request-Id} when sane) and echoes it on the response. */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class RequestIds implements WebFilter {

    public static final String HEADER = "X-Request-Id";
    private static final String ATTRIBUTE = RequestIds.class.getName();
    private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String id = idFor(exchange.getRequest().getHeaders().getFirst(HEADER));
        exchange.getAttributes().put(ATTRIBUTE, id);
        exchange.getResponse().getHeaders().set(HEADER, id);
        return chain.filter(exchange).contextWrite(ctx -> ctx.put(RequestIdLogging.KEY, id));
    }

    /** The client's id when it is sane ({@link #isSane}), else a new one. */
    public static String idFor(String given) {
        return given != null && isSane(given) ? given : "req_" + UUID.randomUUID();
    }

    /** Whether {@code id} could be a request id: {@code [A-Za-z0-9._:-]{1,128}}, as every id the gateway gives. */
    public static boolean isSane(String id) {
        return CLIENT_ID.matcher(id).matches();
    }

    public static String of(ServerWebExchange exchange) {
        Object id = exchange.getAttribute(ATTRIBUTE);
        return id == null ? "req_unknown" : id.toString();
    }
}
