package dev.coderun.worker;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RuntimeSnapshot;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Builders for the runs tests dispatch: {@code aRun().command("echo hi").build()}. */
public final class TestRuns {

    /** A well-formed digest that no registry holds. */
    public static final String UNKNOWN_DIGEST = "sha256:" + "0".repeat(64);

    private TestRuns() {}

    public static RunBuilder aRun() {
        return new RunBuilder();
    }

    public static RuntimeBuilder aRuntime() {
        return new RuntimeBuilder();
    }

    public static final class RunBuilder {
        private String runId = UUID.randomUUID().toString();
        private String handle = "acme";
        private RuntimeSnapshot runtime = aRuntime().build();
        private String command = "echo hi";
        private List<String> args = List.of();
        private Map<String, String> env = Map.of();
        private String stdin = "";
        private String cwd;
        private int timeoutSeconds = 30;
        private long maxOutputBytes = 1024 * 1024;

        public RunBuilder runId(String runId) {
            this.runId = runId;
            return this;
        }

        public RunBuilder handle(String handle) {
            this.handle = handle;
            return this;
        }

        public RunBuilder runtime(RuntimeSnapshot runtime) {
            this.runtime = runtime;
            return this;
        }

        public RunBuilder command(String command, String... args) {
            this.command = command;
            this.args = List.of(args);
            return this;
        }

        public RunBuilder env(Map<String, String> env) {
            this.env = env;
            return this;
        }

        public RunBuilder stdin(String stdin) {
            this.stdin = stdin;
            return this;
        }

        public RunBuilder cwd(String cwd) {
            this.cwd = cwd;
            return this;
        }

        public RunBuilder timeoutSeconds(int timeoutSeconds) {
            this.timeoutSeconds = timeoutSeconds;
            return this;
        }

        public RunBuilder maxOutputBytes(long maxOutputBytes) {
            this.maxOutputBytes = maxOutputBytes;
            return this;
        }

        public RunSpec build() {
            return new RunSpec(runId, handle, runtime, null, command, args, env, stdin, cwd, timeoutSeconds,
                    maxOutputBytes, 1, Map.of(), "test", Instant.now());
        }

        public DispatchRun dispatched() {
            return new DispatchRun(build(), 1, Instant.now());
        }
    }

    public static final class RuntimeBuilder {
        private String imageUri = "127.0.0.1:5000/coderun/busybox:latest";
        private String imageDigest = "sha256:" + "a".repeat(64);
        private double cpuCores = 1.0;
        private int memoryMb = 128;
        private int pidsLimit = 64;
        private String network = "none";
        private boolean readOnlyRootfs = true;
        private Map<String, String> env = Map.of();

        public RuntimeBuilder image(String uri, String digest) {
            this.imageUri = uri;
            this.imageDigest = digest;
            return this;
        }

        public RuntimeBuilder cpuCores(double cpuCores) {
            this.cpuCores = cpuCores;
            return this;
        }

        public RuntimeBuilder memoryMb(int memoryMb) {
            this.memoryMb = memoryMb;
            return this;
        }

        public RuntimeBuilder pidsLimit(int pidsLimit) {
            this.pidsLimit = pidsLimit;
            return this;
        }

        public RuntimeBuilder network(String network) {
            this.network = network;
            return this;
        }

        public RuntimeBuilder readOnlyRootfs(boolean readOnlyRootfs) {
            this.readOnlyRootfs = readOnlyRootfs;
            return this;
        }

        public RuntimeBuilder env(Map<String, String> env) {
            this.env = env;
            return this;
        }

        public RuntimeSnapshot build() {
            return new RuntimeSnapshot("busybox", UUID.randomUUID().toString(), 1, imageUri, imageDigest, cpuCores,
                    memoryMb, pidsLimit, network, readOnlyRootfs, env);
        }
    }
}
