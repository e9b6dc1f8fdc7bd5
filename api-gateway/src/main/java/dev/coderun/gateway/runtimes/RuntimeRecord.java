package dev.coderun.gateway.runtimes;

import dev.coderun.events.RuntimeSnapshot;
import java.time.Instant;
import java.util.UUID;

/**
 * A stored runtime: its definition plus identity, version and image validation.
 *
 * @param sealedSecrets the runtime's secrets sealed for {@link #secretsContext} ({@link dev.coderun.events.SecretKeyRing}),
 *     null when it has none
 */
public record RuntimeRecord(
        String handle,
        String key,
        UUID id,
        RuntimeDefinition definition,
        long version,
        ImageValidation validation,
        Instant createdAt,
        Instant updatedAt,
        String sealedSecrets) {

    /** What a runtime's secrets are sealed for: they open as this runtime's only. */
    public static String secretsContext(String handle, String key) {
        return "runtime " + handle + "/" + key;
    }

    public String secretsContext() {
        return secretsContext(handle, key);
    }

    public String etag() {
        return "\"" + version + "\"";
    }

    public boolean acceptsRuns() {
        return definition.enabled() && validation.status() == ImageValidation.Status.VALID;
    }

    /** The runtime as a run submitted now pins it. */
    public RuntimeSnapshot snapshot() {
        RuntimeDefinition d = definition;
        return new RuntimeSnapshot(
                key, id.toString(), version, d.imageUri(), d.imageDigest(), d.cpuCores(), d.memoryMb(), d.pidsLimit(),
                d.network(), d.readOnlyRootfs(), d.env());
    }
}
