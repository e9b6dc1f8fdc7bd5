package dev.coderun.worker.sandbox;

import static dev.coderun.worker.TestRuns.aRun;
import static dev.coderun.worker.TestRuns.aRuntime;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.coderun.events.RunSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SandboxPolicyTest {

    private static final String DIGEST = "sha256:" + "b".repeat(64);
    private final SandboxPolicy policy = new SandboxPolicy("65534:65534", 64L * 1024 * 1024);

    @Test
    void aCommandWithoutArgsRunsThroughTheShell() {
        ContainerSpec spec = policy.containerFor(aRun().command("echo a | tr a b").build(), "w1");

        assertThat(spec.entrypoint()).containsExactly("/bin/sh", "-c");
        assertThat(spec.cmd()).containsExactly("echo a | tr a b");
    }

    @Test
    void aCommandWithArgsIsExecutedDirectlyAndTheImageEntrypointNeverRuns() {
        ContainerSpec spec = policy.containerFor(aRun().command("/bin/echo", "a b", "$HOME").build(), "w1");

        assertThat(spec.entrypoint()).containsExactly("/bin/echo");
        assertThat(spec.cmd()).containsExactly("a b", "$HOME");
    }

    @Test
    void theImageIsPinnedByDigestWithAnyTagDropped() {
        assertThat(SandboxPolicy.pinnedImage("127.0.0.1:5000/coderun/python:3.11", DIGEST))
                .isEqualTo("127.0.0.1:5000/coderun/python@" + DIGEST);
        assertThat(SandboxPolicy.pinnedImage("127.0.0.1:5000/coderun/busybox", DIGEST))
                .isEqualTo("127.0.0.1:5000/coderun/busybox@" + DIGEST);
        assertThat(SandboxPolicy.pinnedImage("busybox:1.36", DIGEST)).isEqualTo("busybox@" + DIGEST);
        assertThat(SandboxPolicy.pinnedImage("registry:5000/busybox", DIGEST)).isEqualTo("registry:5000/busybox@" + DIGEST);
        assertThat(SandboxPolicy.pinnedImage("host/a/b:1@sha256:" + "c".repeat(64), DIGEST))
                .isEqualTo("host/a/b@" + DIGEST);
    }

    @Test
    void aDigestThatIsNotSha256IsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> SandboxPolicy.pinnedImage("busybox", "latest"));
    }

    @Test
    void secretsAreLaidOverBothEnvsAndReachOnlyTheContainersEnv() {
        ContainerSpec spec = policy.containerFor(
                aRun().runtime(aRuntime().env(Map.of("A", "runtime", "B", "runtime")).build())
                        .env(Map.of("B", "run"))
                        .build(),
                Map.of("B", "secret-b", "S", "secret-s"),
                "w1");

        assertThat(spec.env()).containsExactly("A=runtime", "B=secret-b", "S=secret-s");
        assertThat(spec.toString()).contains("envKeys=[A, B, S]").doesNotContain("secret-b").doesNotContain("secret-s");
    }

    @Test
    void aRunWithSealedSecretsIsRefusedWithoutThemOpened() {
        RunSpec plain = aRun().build();
        RunSpec sealed = new RunSpec(plain.runId(), plain.handle(), plain.runtime(), null, plain.command(), plain.args(),
                plain.env(), plain.stdin(), plain.cwd(), plain.timeoutSeconds(), plain.maxOutputBytes(), 1, Map.of(),
                "test", plain.createdAt(), List.of("S"), "v1.k1.AAAA");

        assertThatIllegalArgumentException().isThrownBy(() -> policy.containerFor(sealed, "w1"));
    }

    @Test
    void theRunsEnvIsLaidOverTheRuntimesEnvSortedByKey() {
        ContainerSpec spec = policy.containerFor(
                aRun().runtime(aRuntime().env(Map.of("B", "runtime", "A", "runtime")).build())
                        .env(Map.of("B", "run", "C", "x=y"))
                        .build(),
                "w1");

        assertThat(spec.env()).containsExactly("A=runtime", "B=run", "C=x=y");
    }

    @Test
    void resourceLimitsComeFromTheRuntimeAndSwapEqualsMemory() {
        ContainerSpec spec = policy.containerFor(
                aRun().runtime(aRuntime().memoryMb(256).cpuCores(1.5).pidsLimit(32).build()).build(), "w1");

        assertThat(spec.memoryBytes()).isEqualTo(256L * 1024 * 1024);
        assertThat(spec.nanoCpus()).isEqualTo(1_500_000_000L);
        assertThat(spec.pidsLimit()).isEqualTo(32);
    }

    @Test
    void theSandboxIsLockedDown() {
        ContainerSpec spec = policy.containerFor(aRun().build(), "w1");

        assertThat(spec.user()).isEqualTo("65534:65534");
        assertThat(spec.capDrop()).containsExactly("ALL");
        assertThat(spec.securityOpts()).containsExactly("no-new-privileges");
        assertThat(spec.networkMode()).isEqualTo("none");
        assertThat(spec.readOnlyRootfs()).isTrue();
        assertThat(spec.tmpfs()).containsOnlyKeys("/tmp");
        assertThat(spec.tmpfs().get("/tmp")).contains("size=67108864").contains("nosuid").contains("mode=1777");
    }

    @Test
    void networkAndRootfsFollowTheRuntime() {
        ContainerSpec spec = policy.containerFor(
                aRun().runtime(aRuntime().network("bridge").readOnlyRootfs(false).build()).build(), "w1");

        assertThat(spec.networkMode()).isEqualTo("bridge");
        assertThat(spec.readOnlyRootfs()).isFalse();
    }

    @Test
    void theHostsFileStandsInForTheNoneNetworkOnlyWithAReadOnlyRootfs() {
        SandboxPolicy withHostsFile = new SandboxPolicy("65534:65534", 64L * 1024 * 1024, "/var/lib/coderun/hosts");

        assertThat(withHostsFile.containerFor(aRun().build(), "w1").hostsFile()).isEqualTo("/var/lib/coderun/hosts");
        assertThat(withHostsFile.containerFor(aRun().runtime(aRuntime().network("bridge").build()).build(), "w1")
                .hostsFile()).isNull();
        // The engine's own copy would be writable there; the shared file never is.
        assertThat(withHostsFile.containerFor(aRun().runtime(aRuntime().readOnlyRootfs(false).build()).build(), "w1")
                .hostsFile()).isNull();
        assertThat(policy.containerFor(aRun().build(), "w1").hostsFile()).isNull();
    }

    @Test
    void aNetworkModeOtherThanNoneOrBridgeIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> policy.containerFor(aRun().runtime(aRuntime().network("host").build()).build(), "w1"));
    }

    @Test
    void aRuntimeWithoutLimitsIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> policy.containerFor(aRun().runtime(aRuntime().memoryMb(0).build()).build(), "w1"));
        assertThatIllegalArgumentException()
                .isThrownBy(() -> policy.containerFor(aRun().runtime(aRuntime().cpuCores(0).build()).build(), "w1"));
        assertThatIllegalArgumentException()
                .isThrownBy(() -> policy.containerFor(aRun().runtime(aRuntime().pidsLimit(0).build()).build(), "w1"));
    }

    @Test
    void labelsNameTheRunTheWorkerAndTheHandle() {
        ContainerSpec spec = policy.containerFor(aRun().runId("r-1").handle("acme").build(), "w1");

        assertThat(spec.labels())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("coderun.run-id", "r-1", "coderun.worker-id", "w1", "coderun.handle", "acme"));
    }

    @Test
    void cwdStdinAndTimeoutComeFromTheRun() {
        ContainerSpec spec =
                policy.containerFor(aRun().cwd("/tmp").stdin("input").timeoutSeconds(7).build(), "w1");

        assertThat(spec.workingDir()).isEqualTo("/tmp");
        assertThat(spec.stdin()).isEqualTo("input");
        assertThat(spec.hasStdin()).isTrue();
        assertThat(spec.timeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(policy.containerFor(aRun().build(), "w1").workingDir()).isNull();
        assertThat(policy.containerFor(aRun().build(), "w1").hasStdin()).isFalse();
    }

    @Test
    void toStringNeverShowsEnvValuesOrStdin() {
        ContainerSpec spec = policy.containerFor(
                aRun().env(Map.of("TOKEN", "s3cr3t-value")).stdin("password=hunter2").build(), "w1");

        assertThat(spec.toString()).contains("TOKEN").doesNotContain("s3cr3t-value").doesNotContain("hunter2");
    }
}
