package dev.coderun.gateway.runtimes;

import java.util.Map;

/**
 * The body of {@code PUT .../code-runtimes/{key}}; every field optional here, {@link RuntimeValidator} decides.
 * {@code secrets} are write-only env entries: null (left out) keeps the runtime's current secrets, an object replaces
 * them ({@code {}} removes them all).
 */
public record RuntimeRequest(
        String displayName,
        String description,
        Image image,
        Resources resources,
        Sandbox sandbox,
        Map<String, String> env,
        Map<String, String> labels,
        Integer maxActiveRuns,
        Boolean enabled,
        Map<String, String> secrets) {

    /** Names the secrets, never their values. */
    @Override
    public String toString() {
        return "RuntimeRequest[displayName=" + displayName + ", image=" + image + ", resources=" + resources
                + ", sandbox=" + sandbox + ", env=" + (env == null ? null : env.keySet()) + ", labels=" + labels
                + ", maxActiveRuns=" + maxActiveRuns + ", enabled=" + enabled + ", secrets="
                + (secrets == null ? null : secrets.keySet()) + "]";
    }

    public record Image(String uri, String digest) {}

    public record Resources(Double cpuCores, Integer memoryMb, Integer pidsLimit) {}

    public record Sandbox(
            Integer timeoutSeconds,
            Integer maxTimeoutSeconds,
            String network,
            Boolean readOnlyRootfs,
            Boolean workspaceMount) {}
}
