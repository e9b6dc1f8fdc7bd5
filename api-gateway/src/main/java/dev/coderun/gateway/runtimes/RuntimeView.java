package dev.coderun.gateway.runtimes;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A runtime as the API shows it: its secrets by name only. */
record RuntimeView(
        String key,
        UUID id,
        String handle,
        String displayName,
        String description,
        Image image,
        Resources resources,
        Sandbox sandbox,
        Map<String, String> env,
        List<String> secretNames,
        Map<String, String> labels,
        Integer maxActiveRuns,
        boolean enabled,
        long version,
        Validation validation,
        Instant createdAt,
        Instant updatedAt) {

    record Image(String uri, String digest) {}

    record Resources(double cpuCores, int memoryMb, int pidsLimit) {}

    record Sandbox(
            int timeoutSeconds, int maxTimeoutSeconds, String network, boolean readOnlyRootfs, boolean workspaceMount) {}

    record Validation(String status, String reason, String expectedDigest, String actualDigest, Instant checkedAt) {}

    static RuntimeView of(RuntimeRecord r) {
        RuntimeDefinition d = r.definition();
        ImageValidation v = r.validation();
        return new RuntimeView(
                r.key(), r.id(), r.handle(), d.displayName(), d.description(),
                new Image(d.imageUri(), d.imageDigest()),
                new Resources(d.cpuCores(), d.memoryMb(), d.pidsLimit()),
                new Sandbox(d.timeoutSeconds(), d.maxTimeoutSeconds(), d.network(), d.readOnlyRootfs(), false),
                d.env(), d.secretNames(), d.labels(), d.maxActiveRuns(), d.enabled(), r.version(),
                new Validation(v.status().name(), v.reason(), v.expectedDigest(), v.actualDigest(), v.checkedAt()),
                r.createdAt(), r.updatedAt());
    }
}
