package dev.coderun.gateway.auth;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.springframework.http.HttpMethod;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authorization.AuthorizationDecision;
import org.springframework.security.authorization.AuthorizationResult;
import org.springframework.security.authorization.ReactiveAuthorizationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.web.server.authorization.AuthorizationContext;
import reactor.core.publisher.Mono;

/**
 * The one table of what every API route requires: its scope, and, for a route under {@code /v2/handles/{handle}/},
 * that the token names that handle. {@link SecurityConfiguration} turns each row into a path matcher of the security
 * chain, so the check runs before any controller, once, for every route. A new route needs a row here (and its
 * operation in the OpenAPI document with the same scope: OpenApiDocumentTest compares the two); an API path with no
 * row only needs a valid token, so a route missing from the table fails that test rather than going unchecked.
 *
 * <p>Decisions ({@link #decide}): another handle is {@code not_found} before anything else is said, so a token learns
 * nothing about handles it does not hold; a missing scope on an own handle is {@code forbidden}; {@code admin} implies
 * every scope.
 *
 * <p>Operator routes (the worker fleet, shared by every tenant, whose listing names every tenant's run ids) belong to
 * the operator handle ({@code coderun.fleet.operator-handle}): they are decided as if their path named that handle,
 * so a tenant's token, {@code admin} included, gets {@code not_found} like any other handle's resource, and a token of
 * the operator handle without {@code admin} gets {@code forbidden}.
 */
public final class RouteAccess {

    static final List<Rule> RULES = List.of(
            rule(HttpMethod.GET, "/v2/handles/{handle}/code-runtimes", Scope.RUNTIMES_READ),
            rule(HttpMethod.GET, "/v2/handles/{handle}/code-runtimes/{runtimeKey}", Scope.RUNTIMES_READ),
            rule(HttpMethod.PUT, "/v2/handles/{handle}/code-runtimes/{runtimeKey}", Scope.RUNTIMES_WRITE),
            rule(HttpMethod.POST, "/v2/handles/{handle}/code-runtimes/{runtimeKey}/validate-image",
                    Scope.RUNTIMES_WRITE),
            rule(HttpMethod.POST, "/v2/handles/{handle}/code-runs", Scope.RUNS_WRITE),
            rule(HttpMethod.POST, "/v2/handles/{handle}/code-runs/batch", Scope.RUNS_WRITE),
            rule(HttpMethod.GET, "/v2/handles/{handle}/code-runs", Scope.RUNS_READ),
            rule(HttpMethod.GET, "/v2/handles/{handle}/code-runs/events", Scope.RUNS_READ),
            rule(HttpMethod.GET, "/v2/handles/{handle}/code-runs/{runId}", Scope.RUNS_READ),
            rule(HttpMethod.GET, "/v2/handles/{handle}/code-runs/{runId}/output", Scope.RUNS_READ),
            rule(HttpMethod.GET, "/v2/handles/{handle}/code-runs/{runId}/events", Scope.RUNS_READ),
            rule(HttpMethod.POST, "/v2/handles/{handle}/code-runs/{runId}/cancel", Scope.RUNS_WRITE),
            rule(HttpMethod.GET, "/v2/handles/{handle}/limits", Scope.RUNS_READ),
            // Names no handle: the runtime is looked up in the token's handles (exec.ExecController).
            rule(HttpMethod.POST, "/v1/runtimes/{runtime}/exec", Scope.RUNS_WRITE),
            // Personal access tokens; a token lists, mints and revokes only for handles it holds (TokenController).
            rule(HttpMethod.POST, "/v2/tokens", Scope.ADMIN),
            rule(HttpMethod.GET, "/v2/tokens", Scope.ADMIN),
            rule(HttpMethod.DELETE, "/v2/tokens/{tokenId}", Scope.ADMIN),
            // Any valid token may file a report; a handle it names must be one of the token's
            // (support.SupportReportController). Reading reports is for operators.
            rule(HttpMethod.POST, "/v2/support/report", null),
            rule(HttpMethod.GET, "/v2/support/reports", Scope.ADMIN),
            rule(HttpMethod.GET, "/v2/support/reports/{reportId}", Scope.ADMIN),
            // The worker fleet (fleet.FleetController): the operator handle's admin only.
            operatorRule(HttpMethod.GET, "/v2/fleet/workers"),
            operatorRule(HttpMethod.GET, "/v2/fleet/workers/{workerId}"),
            operatorRule(HttpMethod.POST, "/v2/fleet/workers/{workerId}/drain"),
            operatorRule(HttpMethod.POST, "/v2/fleet/workers/{workerId}/undrain"));

    /** Paths anyone may read: health and the API document. */
    static final List<String> OPEN = List.of("/actuator/**", "/v3/api-docs", "/v3/api-docs.yaml");
    /** Every other path under these needs a valid token, whether or not a route answers it. */
    static final List<String> AUTHENTICATED = List.of("/v1/**", "/v2/**");

    private RouteAccess() {}

    /**
     * One route's requirement.
     *
     * @param scope the scope the token must hold; null when any valid token may call the route
     * @param handleVariable the path variable naming the handle the token must hold, or null when the route names none
     * @param operator whether the token must hold the operator handle (an operator route)
     */
    record Rule(HttpMethod method, String pattern, Scope scope, String handleVariable, boolean operator) {

        /**
         * The requirement as Spring Security checks it, with the path variables of the matched request.
         *
         * @param operatorHandle the handle an operator route requires
         */
        ReactiveAuthorizationManager<AuthorizationContext> manager(String operatorHandle) {
            return new ReactiveAuthorizationManager<>() {
                @Override
                public Mono<AuthorizationResult> authorize(
                        Mono<Authentication> authentication, AuthorizationContext context) {
                    String handle = operator ? operatorHandle
                            : handleVariable == null ? null : (String) context.getVariables().get(handleVariable);
                    if (handleVariable != null && handle == null) {
                        // Fails closed: a handle route whose handle cannot be read is nobody's.
                        return Mono.error(new HandleNotHeld(""));
                    }
                    return authentication
                            .filter(CallerAuthentication.class::isInstance)
                            .cast(CallerAuthentication.class)
                            .flatMap(caller -> switch (decide(caller.caller(), handle, scope)) {
                                case GRANTED -> Mono.<AuthorizationResult>just(new AuthorizationDecision(true));
                                case NOT_FOUND -> Mono.error(operator ? new NotOperator() : new HandleNotHeld(handle));
                                case FORBIDDEN -> Mono.error(new ScopeMissing(scope));
                            })
                            // No authenticated caller: denied, which the security chain answers with 401.
                            .defaultIfEmpty(new AuthorizationDecision(false));
                }
            };
        }
    }

    enum Verdict { GRANTED, NOT_FOUND, FORBIDDEN }

    /** What {@code caller} gets on a route requiring {@code scope} (null: none) on {@code handle} (null: none). */
    static Verdict decide(Caller caller, String handle, Scope scope) {
        if (handle != null && !caller.handles().contains(handle)) {
            return Verdict.NOT_FOUND;
        }
        if (scope != null && !caller.holds(scope)) {
            return Verdict.FORBIDDEN;
        }
        return Verdict.GRANTED;
    }

    /** The rows as {@code "METHOD /pattern" -> scope claim} (empty for none), the way the OpenAPI document lists them. */
    public static Map<String, String> scopesByRoute() {
        return RULES.stream().collect(Collectors.toMap(
                r -> r.method().name() + " " + r.pattern(), r -> r.scope() == null ? "" : r.scope().claim()));
    }

    private static Rule rule(HttpMethod method, String pattern, Scope scope) {
        return new Rule(method, pattern, scope, pattern.contains("{handle}") ? "handle" : null, false);
    }

    private static Rule operatorRule(HttpMethod method, String pattern) {
        return new Rule(method, pattern, Scope.ADMIN, null, true);
    }

    /** The token does not name the route's handle: answered 404, as if the handle did not exist. */
    static final class HandleNotHeld extends AccessDeniedException {
        final String handle;

        HandleNotHeld(String handle) {
            super("handle not held");
            this.handle = handle;
        }
    }

    /**
     * An operator route called with a token that does not hold the operator handle: answered 404 without naming the
     * handle.
     */
    static final class NotOperator extends AccessDeniedException {
        NotOperator() {
            super("not the operator");
        }
    }

    /** The token names the handle but lacks the route's scope: answered 403. */
    static final class ScopeMissing extends AccessDeniedException {
        final Scope scope;

        ScopeMissing(Scope scope) {
            super("scope missing");
            this.scope = scope;
        }
    }
}
