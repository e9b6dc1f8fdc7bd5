package dev.coderun.worker.sandbox;

import dev.coderun.events.RunSpec;
import dev.coderun.events.RuntimeSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one place that decides how a run is sandboxed: which image, which process, which limits. Pure: the same run and
 * worker always give the same {@link ContainerSpec}. A run whose runtime would weaken the sandbox (no memory limit, an
 * unknown network mode) is refused with {@link IllegalArgumentException}.
 */
public final class SandboxPolicy {

    public static final String LABEL_RUN_ID = "coderun.run-id";
    public static final String LABEL_WORKER_ID = "coderun.worker-id";
    public static final String LABEL_HANDLE = "coderun.handle";

    static final List<String> SHELL = List.of("/bin/sh", "-c");
    private static final long MIB = 1024L * 1024L;
    private static final long NANOS_PER_CPU = 1_000_000_000L;
    private static final String TMP = "/tmp";

    private final String user;
    private final long tmpfsBytes;
    private final String hostsFile;

    /**
     * @param user the {@code uid:gid} containers run as
     * @param tmpfsBytes size of the tmpfs on {@code /tmp}
     */
    public SandboxPolicy(String user, long tmpfsBytes) {
        this(user, tmpfsBytes, null);
    }

    /**
     * @param hostsFile the engine host's path of the {@code /etc/hosts} for runs without a network and with a
     *     read-only root filesystem ({@link HostsFile}); null to leave those to the engine's {@code none} network
     */
    public SandboxPolicy(String user, long tmpfsBytes, String hostsFile) {
        this.user = user;
        this.tmpfsBytes = tmpfsBytes;
        this.hostsFile = hostsFile;
    }

    /** The container of a run without secrets. */
    public ContainerSpec containerFor(RunSpec run, String workerId) {
        if (run.sealedSecrets() != null) {
            throw new IllegalArgumentException("the run has sealed secrets: open them and pass them in");
        }
        return containerFor(run, Map.of(), workerId);
    }

    /**
     * The container of a run.
     *
     * @param secrets the run's secret env entries, opened from {@link RunSpec#sealedSecrets()}: laid over the
     *     runtime's and the run's env (the gateway already left out the runtime secrets the run's env sets)
     */
    public ContainerSpec containerFor(RunSpec run, Map<String, String> secrets, String workerId) {
        RuntimeSnapshot runtime = run.runtime();
        boolean shellForm = run.args().isEmpty();
        String networkMode = networkMode(runtime.network());
        return new ContainerSpec(
                pinnedImage(runtime.imageUri(), runtime.imageDigest()),
                shellForm ? SHELL : List.of(run.command()),
                shellForm ? List.of(run.command()) : run.args(),
                env(runtime.env(), run.env(), secrets),
                run.cwd(),
                user,
                Map.of(LABEL_RUN_ID, run.runId(), LABEL_WORKER_ID, workerId, LABEL_HANDLE, run.handle()),
                positive(runtime.memoryMb(), "memory_mb") * MIB,
                Math.round(positive(runtime.cpuCores(), "cpu_cores") * NANOS_PER_CPU),
                positive(runtime.pidsLimit(), "pids_limit"),
                networkMode,
                // The hosts file is one file shared read-only, so it stands in only where the engine's own copy would
                // be read-only too: with the root filesystem.
                networkMode.equals("none") && runtime.readOnlyRootfs() ? hostsFile : null,
                runtime.readOnlyRootfs(),
                // mode 1777: the non-root user must be able to write; exec stays allowed for interpreters' temp files.
                Map.of(TMP, "rw,nosuid,nodev,size=" + tmpfsBytes + ",mode=1777"),
                List.of("ALL"),
                List.of("no-new-privileges"),
                run.stdin() == null ? "" : run.stdin(),
                Duration.ofSeconds(positive(run.timeoutSeconds(), "timeout_seconds")));
    }

    /**
     * {@code repository@digest} from a runtime's image: a tag in the uri ({@code host:5000/a/b:3.11}) is dropped, as is
     * a digest already in it, so the container always starts from exactly the pinned digest.
     */
    static String pinnedImage(String imageUri, String imageDigest) {
        if (imageDigest == null || !imageDigest.startsWith("sha256:")) {
            throw new IllegalArgumentException("image digest must be sha256:<hex>, got " + imageDigest);
        }
        String repository = imageUri;
        int at = repository.indexOf('@');
        if (at >= 0) {
            repository = repository.substring(0, at);
        }
        int colon = repository.lastIndexOf(':');
        if (colon > repository.lastIndexOf('/')) {
            repository = repository.substring(0, colon);
        }
        return repository + "@" + imageDigest;
    }

    /** The runtime's env, the run's env over it, the secrets over both, as sorted {@code KEY=value} entries. */
    static List<String> env(Map<String, String> runtimeEnv, Map<String, String> runEnv, Map<String, String> secrets) {
        Map<String, String> merged = new TreeMap<>(runtimeEnv);
        merged.putAll(runEnv);
        merged.putAll(secrets);
        List<String> entries = new ArrayList<>(merged.size());
        merged.forEach((key, value) -> entries.add(key + "=" + value));
        return entries;
    }

    private static String networkMode(String network) {
        if (network == null || network.equals("none")) {
            return "none";
        }
        if (network.equals("bridge")) {
            return "bridge";
        }
        throw new IllegalArgumentException("network must be none or bridge, got " + network);
    }

    private static long positive(long value, String field) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
        return value;
    }

    private static double positive(double value, String field) {
        if (!(value > 0)) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
        return value;
    }
}
