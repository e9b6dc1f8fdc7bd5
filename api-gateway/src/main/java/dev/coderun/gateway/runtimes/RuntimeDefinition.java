package dev.coderun.gateway.runtimes;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A runtime's effective configuration, defaults applied: what a PUT sets and what "an identical body changes nothing"
 * compares.
 *
 * @param secretNames the names of the runtime's secrets, sorted; their values are only ever held sealed
 * @param secretsFingerprint {@link dev.coderun.events.SecretKeyRing#fingerprint} of the secrets, null when there are
 *     none: equal secrets keep an equal definition, so an identical PUT changes nothing without a value being stored
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
        boolean enabled,
        List<String> secretNames,
        String secretsFingerprint) {

    public RuntimeDefinition {
        env = Map.copyOf(env);
        labels = Map.copyOf(labels);
        secretNames = secretNames.stream().sorted().toList();
    }

    /** This definition with other secrets: their names and fingerprint. */
    public RuntimeDefinition withSecrets(Collection<String> names, String fingerprint) {
        return new RuntimeDefinition(displayName, description, imageUri, imageDigest, cpuCores, memoryMb, pidsLimit,
                timeoutSeconds, maxTimeoutSeconds, network, readOnlyRootfs, env, labels, maxActiveRuns, enabled,
                List.copyOf(names), fingerprint);
    }

    public boolean sameImageAs(RuntimeDefinition other) {
        return imageUri.equals(other.imageUri) && imageDigest.equals(other.imageDigest);
    }
}
