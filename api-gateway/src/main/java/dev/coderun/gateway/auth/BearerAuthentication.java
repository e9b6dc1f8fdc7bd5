package dev.coderun.gateway.auth;

import dev.coderun.gateway.api.ApiException;
import java.time.Clock;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/** Every API route ({@code /v1/**}, {@code /v2/**}) needs a valid bearer token; health and docs do not. */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
class BearerAuthentication implements WebFilter {

    private static final String PREFIX = "Bearer ";

    private final JwtVerifier verifier;

    BearerAuthentication(AuthProperties properties) {
        this.verifier = new JwtVerifier(properties, Clock.systemUTC());
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        if (!path.startsWith("/v1/") && !path.startsWith("/v2/")) {
            return chain.filter(exchange);
        }
        String header = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return Mono.error(ApiException.unauthenticated("a bearer token is required"));
        }
        try {
            Caller caller = verifier.verify(header.substring(PREFIX.length()).trim());
            exchange.getAttributes().put(Caller.ATTRIBUTE, caller);
        } catch (JwtVerifier.InvalidTokenException e) {
            return Mono.error(ApiException.unauthenticated(e.getMessage()));
        }
        return chain.filter(exchange);
    }
}
