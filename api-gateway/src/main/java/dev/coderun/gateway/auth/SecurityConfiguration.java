package dev.coderun.gateway.auth;

import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.fleet.FleetProperties;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.AuthenticationCredentialsNotFoundException;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.context.ReactiveSecurityContextHolder;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.authorization.ServerAccessDeniedHandler;
import org.springframework.security.web.server.context.NoOpServerSecurityContextRepository;
import org.springframework.security.web.server.firewall.ServerExchangeRejectedHandler;
import org.springframework.security.web.server.firewall.ServerWebExchangeFirewall;
import org.springframework.security.web.server.firewall.StrictServerWebExchangeFirewall;
import org.springframework.security.web.server.savedrequest.NoOpServerRequestCache;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import reactor.core.publisher.Mono;

/**
 * Spring Security's reactive resource server, set up for a stateless bearer-token API: no sessions, no CSRF (there is
 * no cookie to forge a request with), no login forms. A request's bearer token is authenticated by
 * {@link BearerAuthentication} (a JWT through {@link TokenDecoder}, a personal access token through
 * {@link PatAuthentication}); its route is authorized by {@link RouteAccess}. Every refusal leaves through the API's
 * one error envelope ({@code api.ApiErrorHandler}): the handlers here raise {@link ApiException}s instead of writing
 * Spring Security's bare statuses.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

    @Bean
    ReactiveJwtDecoder jwtDecoder(AuthProperties properties) {
        return TokenDecoder.of(properties, Clock.systemUTC());
    }

    @Bean
    SecurityWebFilterChain apiSecurity(ServerHttpSecurity http, BearerAuthentication bearer, FleetProperties fleet) {
        ServerAuthenticationEntryPoint unauthenticated = SecurityConfiguration::unauthenticated;
        ServerAccessDeniedHandler denied = SecurityConfiguration::denied;
        return http
                .csrf(ServerHttpSecurity.CsrfSpec::disable)
                .httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(cache -> cache.requestCache(NoOpServerRequestCache.getInstance()))
                .securityContextRepository(NoOpServerSecurityContextRepository.getInstance())
                .oauth2ResourceServer(server -> server
                        .authenticationManagerResolver(exchange -> Mono.just(bearer))
                        .authenticationEntryPoint(unauthenticated)
                        .accessDeniedHandler(denied))
                .exceptionHandling(handling -> handling
                        .authenticationEntryPoint(unauthenticated)
                        .accessDeniedHandler(denied))
                .addFilterAfter(callerAttribute(), SecurityWebFiltersOrder.AUTHENTICATION)
                .authorizeExchange(routes -> {
                    for (RouteAccess.Rule rule : RouteAccess.RULES) {
                        var manager = rule.manager(fleet.operatorHandle());
                        routes.pathMatchers(rule.method(), rule.pattern()).access(manager);
                        if (rule.method() == HttpMethod.GET) {
                            // WebFlux answers HEAD with the GET handler: it must be held to the same rule.
                            routes.pathMatchers(HttpMethod.HEAD, rule.pattern()).access(manager);
                        }
                    }
                    routes.pathMatchers(RouteAccess.OPEN.toArray(String[]::new)).permitAll();
                    routes.pathMatchers(RouteAccess.AUTHENTICATED.toArray(String[]::new)).authenticated();
                    routes.anyExchange().permitAll();
                })
                .build();
    }

    /**
     * Spring Security's strict firewall, keeping its checks of the request path (no {@code ..} or {@code .} segment,
     * no encoded slash, period or percent, no {@code ;}, {@code //}, backslash or control character), which no route
     * of this API needs. Method, header and query checks are left to the routes: WebFlux answers an unknown method
     * 405 and the routes validate their own headers and parameters, as they did before this firewall.
     */
    @Bean
    ServerWebExchangeFirewall firewall() {
        StrictServerWebExchangeFirewall firewall = new StrictServerWebExchangeFirewall();
        firewall.setUnsafeAllowAnyHttpMethod(true);
        firewall.setAllowedHeaderNames(name -> true);
        firewall.setAllowedHeaderValues(value -> true);
        firewall.setAllowedParameterNames(name -> true);
        return firewall;
    }

    @Bean
    ServerExchangeRejectedHandler firewallRefusals() {
        return (exchange, rejected) -> Mono.error(new ApiException(HttpStatus.BAD_REQUEST, "malformed_request",
                "the request path holds a sequence this API refuses ('..' or '.' segments, '//', ';', a backslash,"
                        + " a control character, or an encoded slash, period or percent)"));
    }

    /** Puts the authenticated {@link Caller} where filters after the security chain and controllers read it. */
    private static WebFilter callerAttribute() {
        return (exchange, chain) -> ReactiveSecurityContextHolder.getContext()
                .mapNotNull(context -> context.getAuthentication() instanceof CallerAuthentication authenticated
                        ? authenticated.caller() : null)
                .doOnNext(caller -> exchange.getAttributes().put(Caller.ATTRIBUTE, caller))
                .then(chain.filter(exchange));
    }

    /** 401 {@code unauthenticated}, saying why when the token was refused. */
    private static Mono<Void> unauthenticated(
            ServerWebExchange exchange, AuthenticationException failure) {
        exchange.getResponse().getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        return Mono.error(ApiException.unauthenticated(reason(failure)));
    }

    /** The reason for a 401, in words written here or by {@link TokenDecoder} and {@link PatAuthentication}. */
    static String reason(AuthenticationException failure) {
        return switch (failure) {
            case AuthenticationCredentialsNotFoundException e -> "a bearer token is required";
            case InvalidBearerTokenException e when e.getCause() instanceof TokenDecoder.Refused refused ->
                    refused.getMessage();
            case PatAuthentication.Refused e -> e.getMessage();
            // ServerBearerTokenAuthenticationConverter: "Bearer" followed by anything but one token.
            default -> "malformed bearer token";
        };
    }

    /** 404 for another handle's route (or an operator route without the operator handle), 403 for a missing scope. */
    private static Mono<Void> denied(ServerWebExchange exchange, AccessDeniedException denied) {
        return Mono.error(switch (denied) {
            case RouteAccess.HandleNotHeld notHeld -> ApiException.notFound("handle '" + notHeld.handle + "' not found");
            case RouteAccess.NotOperator notOperator -> ApiException.notFound(
                    "not found: the fleet routes answer tokens of the operator handle only");
            case RouteAccess.ScopeMissing missing -> ApiException.forbidden(
                    "the token lacks scope " + missing.scope.claim());
            default -> ApiException.forbidden("the token may not use this route");
        });
    }
}
