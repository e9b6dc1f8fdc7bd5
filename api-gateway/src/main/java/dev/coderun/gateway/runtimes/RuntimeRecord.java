package dev.coderun.gateway.runtimes;

import dev.coderun.events.RuntimeSnapshot;
import java.time.Instant;
import java.util.UUID;

/** A stored runtime: its definition plus identity, version and image validation. */
public record RuntimeRecord(
        String handle,
        String key,
        UUID id,
        RuntimeDefinition definition,
        long version,
        ImageValidation validation,
        Instant createdAt,
        Instant updatedAt) {

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
