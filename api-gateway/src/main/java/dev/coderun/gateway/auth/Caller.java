package dev.coderun.gateway.auth;

import dev.coderun.gateway.api.ApiException;
import java.util.Set;
import org.springframework.web.server.ServerWebExchange;

/**
 * Who is calling: the token's subject, the handles it names and its scopes.
 *
 * @param tokenId names the credential itself, so limits can be kept per token: {@code jwt:<jti>} (or
 *     {@code jwt:<sub>} for a JWT without {@code jti})
 */
public record Caller(String subject, String tokenId, Set<String> handles, Set<Scope> scopes) {

    static final String ATTRIBUTE = Caller.class.getName();

    public Caller {
        handles = Set.copyOf(handles);
        scopes = Set.copyOf(scopes);
    }

    /** The authenticated caller of this exchange; the auth filter guarantees one on API routes. */
    public static Caller of(ServerWebExchange exchange) {
        Caller caller = exchange.getAttribute(ATTRIBUTE);
        if (caller == null) {
            throw ApiException.unauthenticated("a bearer token is required");
        }
        return caller;
    }

    /**
     * Refuses unless this caller may act on {@code handle} with {@code scope}. Another handle reads as not found, so
     * a token never learns what exists outside its handles.
     */
    public Caller require(String handle, Scope scope) {
        if (!handles.contains(handle)) {
            throw ApiException.notFound("handle '" + handle + "' not found");
        }
        if (!scopes.contains(scope) && !scopes.contains(Scope.ADMIN)) {
            throw ApiException.forbidden("the token lacks scope " + scope.claim());
        }
        return this;
    }
}
