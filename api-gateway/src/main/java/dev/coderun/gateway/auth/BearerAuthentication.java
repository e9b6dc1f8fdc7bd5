package dev.coderun.gateway.auth;

import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.oauth2.server.resource.authentication.JwtReactiveAuthenticationManager;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Turns a request's bearer token into a {@link CallerAuthentication}: a token with the personal access token prefix
 * ({@code crp_}) through {@link PatAuthentication}, anything else as a JWT through Spring Security's
 * {@link JwtReactiveAuthenticationManager} and the gateway's {@link TokenDecoder}.
 */
@Component
class BearerAuthentication implements ReactiveAuthenticationManager {

    private final JwtReactiveAuthenticationManager jwts;
    private final PatAuthentication pats;

    BearerAuthentication(ReactiveJwtDecoder decoder, PatAuthentication pats) {
        this.jwts = new JwtReactiveAuthenticationManager(decoder);
        this.jwts.setJwtAuthenticationConverter(
                jwt -> Mono.just(new CallerAuthentication(CallerAuthentication.callerOf(jwt))));
        this.pats = pats;
    }

    @Override
    public Mono<Authentication> authenticate(Authentication authentication) {
        if (authentication instanceof BearerTokenAuthenticationToken bearer && PatSecret.isPat(bearer.getToken())) {
            return pats.authenticate(bearer.getToken()).map(CallerAuthentication::new);
        }
        return jwts.authenticate(authentication);
    }
}
