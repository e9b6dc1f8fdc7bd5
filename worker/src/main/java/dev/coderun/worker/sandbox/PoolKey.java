package dev.coderun.worker.sandbox;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything in a {@link ContainerSpec} that is fixed when a container is created, apart from the run's own process:
 * a warm container created for one key can run exactly the runs whose spec has that key, with the sandbox a cold
 * container of the same spec would have. The run id label is left out (a label cannot be set after creation); the
 * working directory is in, because the engine creates a missing one at creation and the waiting shell already runs
 * in it.
 */
public record PoolKey(
        String image,
        String workingDir,
        String user,
        Map<String, String> labels,
        long memoryBytes,
        long nanoCpus,
        long pidsLimit,
        String networkMode,
        String hostsFile,
        boolean readOnlyRootfs,
        Map<String, String> tmpfs,
        List<String> capDrop,
        List<String> securityOpts) {

    public PoolKey {
        labels = Map.copyOf(labels);
        tmpfs = Map.copyOf(tmpfs);
        capDrop = List.copyOf(capDrop);
        securityOpts = List.copyOf(securityOpts);
    }

    /** The key of the warm containers that can run {@code spec}. */
    public static PoolKey of(ContainerSpec spec) {
        Map<String, String> labels = new HashMap<>(spec.labels());
        labels.remove(SandboxPolicy.LABEL_RUN_ID);
        return new PoolKey(spec.image(), spec.workingDir(), spec.user(), labels, spec.memoryBytes(), spec.nanoCpus(),
                spec.pidsLimit(), spec.networkMode(), spec.hostsFile(), spec.readOnlyRootfs(), spec.tmpfs(),
                spec.capDrop(), spec.securityOpts());
    }
}
