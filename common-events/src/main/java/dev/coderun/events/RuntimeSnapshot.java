package dev.coderun.events;

import java.util.Map;

/**
 * The runtime as a run sees it: the image pinned by digest (a run always starts from the digest, never a tag; the
 * worker's {@code SandboxPolicy} derives the reference), its resource limits and its sandbox.
 *
 * @param network {@code none} or {@code bridge}
 */
public record RuntimeSnapshot(
        String key,
        String id,
        long version,
        String imageUri,
        String imageDigest,
        double cpuCores,
        int memoryMb,
        int pidsLimit,
        String network,
        boolean readOnlyRootfs,
        Map<String, String> env) {

    public RuntimeSnapshot {
        env = Map.copyOf(env);
    }
}
