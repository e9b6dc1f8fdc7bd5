package dev.coderun.gateway.auth;

import dev.coderun.gateway.api.ApiException;
import java.util.Set;
import org.springframework.web.server.ServerWebExchange;

/**
 * Who is calling: the token's subject, the handles it names and its scopes. What a caller may do on which route is
 * decided once, in {@link RouteAccess}, before any controller runs.
 *
 * @param subject who acts: a JWT's {@code sub}; for a personal access token, the subject that minted it
 * @param tokenId names the credential itself, so limits can be kept per token: {@code jwt:<jti>} (or
 *     {@code jwt:<sub>} for a JWT without {@code jti}), {@code pat:<id>} for a personal access token
 */
public record Caller(String subject, String tokenId, Set<String> handles, Set<Scope> scopes) {

    /**
     * The exchange attribute holding the authenticated caller. It is set inside Spring Security's filter chain, right
     * after authentication, so every WebFilter ordered after that chain (order 0 or later) and every controller sees
     * it.
     */
    static final String ATTRIBUTE = Caller.class.getName();

    public Caller {
        handles = Set.copyOf(handles);
        scopes = Set.copyOf(scopes);
    }

    /** The authenticated caller of this exchange; the security chain guarantees one on API routes. */
    public static Caller of(ServerWebExchange exchange) {
        Caller caller = exchange.getAttribute(ATTRIBUTE);
        if (caller == null) {
            throw ApiException.unauthenticated("a bearer token is required");
        }
        return caller;
    }

    /** Whether the token grants {@code scope}; {@link Scope#ADMIN} implies every scope. */
    public boolean holds(Scope scope) {
        return scopes.contains(scope) || scopes.contains(Scope.ADMIN);
    }
}
