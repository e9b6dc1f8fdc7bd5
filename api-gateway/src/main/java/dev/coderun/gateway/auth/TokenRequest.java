package dev.coderun.gateway.auth;

import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.limits.RequestLimits;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * The body of {@code POST /v2/tokens}: a new personal access token's name, the handles and scopes it may use, and
 * when it expires (null: never).
 */
record TokenRequest(String name, List<String> handles, List<String> scopes, Instant expiresAt) {

    /**
     * What the minting {@code caller} may ask for, at {@code now}: 422 {@code validation_failed} naming every field
     * that is missing or malformed; then 403 {@code forbidden} for a handle the caller does not hold or a scope it does
     * not have ({@code admin} has them all), as a token can never hand out more than it holds.
     *
     * @return the handles and scopes asked for, without repeats
     */
    Granted check(Caller caller, Instant now, RequestLimits limits) {
        List<FieldViolation> problems = new ArrayList<>();
        if (name == null || name.isBlank()) {
            problems.add(FieldViolation.required("name"));
        } else if (name.length() > limits.maxDisplayNameChars()) {
            problems.add(FieldViolation.tooLong("name", "at most " + limits.maxDisplayNameChars() + " characters"));
        }
        if (handles == null || handles.isEmpty()) {
            problems.add(FieldViolation.required("handles"));
        } else {
            for (int i = 0; i < handles.size(); i++) {
                if (handles.get(i) == null || handles.get(i).isBlank()) {
                    problems.add(FieldViolation.invalid("handles[" + i + "]", "must be a handle"));
                }
            }
        }
        List<Scope> asked = new ArrayList<>();
        if (scopes == null || scopes.isEmpty()) {
            problems.add(FieldViolation.required("scopes"));
        } else {
            for (int i = 0; i < scopes.size(); i++) {
                Optional<Scope> scope = scopes.get(i) == null ? Optional.empty() : Scope.fromClaim(scopes.get(i));
                scope.ifPresent(asked::add);
                if (scope.isEmpty()) {
                    problems.add(FieldViolation.invalid("scopes[" + i + "]", "must be one of runtimes:read,"
                            + " runtimes:write, runs:read, runs:write, admin"));
                }
            }
        }
        if (expiresAt != null && !expiresAt.isAfter(now)) {
            problems.add(FieldViolation.outOfRange("expires_at", "must be in the future"));
        }
        if (!problems.isEmpty()) {
            throw ApiException.validation(problems);
        }
        for (String handle : handles) {
            if (!caller.handles().contains(handle)) {
                throw ApiException.forbidden("the token does not hold handle '" + handle
                        + "'; a token mints personal access tokens for its own handles only");
            }
        }
        for (Scope scope : asked) {
            if (!caller.holds(scope)) {
                throw ApiException.forbidden("the token lacks scope " + scope.claim() + ", so it cannot grant it");
            }
        }
        return new Granted(List.copyOf(new LinkedHashSet<>(handles)),
                asked.stream().distinct().map(Scope::claim).toList());
    }

    record Granted(List<String> handles, List<String> scopes) {}
}
