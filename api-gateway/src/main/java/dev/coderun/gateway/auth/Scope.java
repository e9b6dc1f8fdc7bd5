package dev.coderun.gateway.auth;

import java.util.Optional;

/** What a token may do. {@link #ADMIN} implies every other scope. */
public enum Scope {
    RUNTIMES_READ("runtimes:read"),
    RUNTIMES_WRITE("runtimes:write"),
    RUNS_READ("runs:read"),
    RUNS_WRITE("runs:write"),
    ADMIN("admin");

    private final String claim;

    Scope(String claim) {
        this.claim = claim;
    }

    public String claim() {
        return claim;
    }

    public static Optional<Scope> fromClaim(String claim) {
        for (Scope scope : values()) {
            if (scope.claim.equals(claim)) {
                return Optional.of(scope);
            }
        }
        return Optional.empty();
    }
}
