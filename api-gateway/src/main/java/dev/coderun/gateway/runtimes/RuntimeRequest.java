package dev.coderun.gateway.runtimes;

import java.util.Map;

/** The body of {@code PUT .../code-runtimes/{key}}; every field optional here, {@link RuntimeValidator} decides. */
public record RuntimeRequest(
        String displayName,
        String description,
        Image image,
        Resources resources,
        Sandbox sandbox,
        Map<String, String> env,
        Map<String, String> labels,
        Integer maxActiveRuns,
        Boolean enabled) {

    public record Image(String uri, String digest) {}

    public record Resources(Double cpuCores, Integer memoryMb, Integer pidsLimit) {}

    public record Sandbox(
            Integer timeoutSeconds,
            Integer maxTimeoutSeconds,
            String network,
            Boolean readOnlyRootfs,
            Boolean workspaceMount) {}
}
