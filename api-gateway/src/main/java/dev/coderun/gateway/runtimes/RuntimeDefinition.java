package dev.coderun.gateway.runtimes;

import java.util.Map;

/**
 * A runtime's effective configuration, defaults applied: what a PUT sets and what "an identical body changes nothing"
 * compares.
 */
public record RuntimeDefinition(
        String displayName,
        String description,
        String imageUri,
        String imageDigest,
        double cpuCores,
        int memoryMb,
        int pidsLimit,
        int timeoutSeconds,
        int maxTimeoutSeconds,
        String network,
        boolean readOnlyRootfs,
        Map<String, String> env,
        Map<String, String> labels,
        Integer maxActiveRuns,
        boolean enabled) {

    public RuntimeDefinition {
        env = Map.copyOf(env);
        labels = Map.copyOf(labels);
    }

    public boolean sameImageAs(RuntimeDefinition other) {
        return imageUri.equals(other.imageUri) && imageDigest.equals(other.imageDigest);
    }
}
