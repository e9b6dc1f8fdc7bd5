package dev.coderun.gateway.auth;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * Spring Security's record of an authenticated request: its principal is the {@link Caller}. It keeps no credential
 * (neither the JWT nor the personal access token), so nothing that prints an authentication can print a token.
 */
final class CallerAuthentication extends AbstractAuthenticationToken {

    private final Caller caller;

    CallerAuthentication(Caller caller) {
        super(caller.scopes().stream().map(scope -> new SimpleGrantedAuthority("SCOPE_" + scope.claim())).toList());
        this.caller = caller;
        setAuthenticated(true);
    }

    /**
     * The caller a verified JWT names: {@code sub}; {@code handles}, an array of strings (anything else names no
     * handle); {@code scope}, space-separated (unknown scopes are ignored); {@code jti}, which names the token
     * ({@code jwt:<jti>}, or {@code jwt:<sub>} without one).
     */
    static Caller callerOf(Jwt jwt) {
        String subject = jwt.getSubject();
        Set<String> handles = new HashSet<>();
        if (jwt.getClaims().get("handles") instanceof List<?> named) {
            named.forEach(handle -> {
                if (handle instanceof String h) {
                    handles.add(h);
                }
            });
        }
        Set<Scope> scopes = new HashSet<>();
        if (jwt.getClaims().get("scope") instanceof String claim) {
            for (String one : claim.split(" ")) {
                Scope.fromClaim(one).ifPresent(scopes::add);
            }
        }
        String jti = jwt.getId();
        return new Caller(subject, "jwt:" + (jti == null || jti.isBlank() ? subject : jti), handles, scopes);
    }

    Caller caller() {
        return caller;
    }

    @Override
    public Caller getPrincipal() {
        return caller;
    }

    @Override
    public Object getCredentials() {
        return null;
    }

    @Override
    public String getName() {
        return caller.subject();
    }
}
