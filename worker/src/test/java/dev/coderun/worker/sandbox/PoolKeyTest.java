package dev.coderun.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.worker.TestRuns;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PoolKeyTest {

    private final SandboxPolicy policy = new SandboxPolicy("65534:65534", 1024);

    @Test
    void runsThatDifferOnlyInTheirProcessShareAKey() {
        ContainerSpec one = policy.containerFor(TestRuns.aRun().command("echo one").build(), "w");
        ContainerSpec other = policy.containerFor(TestRuns.aRun().command("cat", "x").env(Map.of("A", "b"))
                .stdin("in").timeoutSeconds(5).maxOutputBytes(10).build(), "w");

        assertThat(PoolKey.of(one)).isEqualTo(PoolKey.of(other));
        assertThat(PoolKey.of(one).labels()).doesNotContainKey(SandboxPolicy.LABEL_RUN_ID)
                .containsEntry(SandboxPolicy.LABEL_WORKER_ID, "w");
    }

    @Test
    void anythingFixedAtCreationMakesAnotherKey() {
        PoolKey base = PoolKey.of(policy.containerFor(TestRuns.aRun().build(), "w"));

        assertThat(PoolKey.of(policy.containerFor(TestRuns.aRun().cwd("/tmp").build(), "w"))).isNotEqualTo(base);
        assertThat(PoolKey.of(policy.containerFor(TestRuns.aRun().handle("other").build(), "w"))).isNotEqualTo(base);
        assertThat(PoolKey.of(policy.containerFor(TestRuns.aRun().build(), "w2"))).isNotEqualTo(base);
        assertThat(PoolKey.of(new SandboxPolicy("1000:1000", 1024).containerFor(TestRuns.aRun().build(), "w")))
                .isNotEqualTo(base);
        assertThat(PoolKey.of(new SandboxPolicy("65534:65534", 2048).containerFor(TestRuns.aRun().build(), "w")))
                .isNotEqualTo(base);
        assertThat(PoolKey.of(new SandboxPolicy("65534:65534", 1024, "/hosts").containerFor(TestRuns.aRun().build(),
                "w"))).isNotEqualTo(base);
        for (TestRuns.RuntimeBuilder runtime : java.util.List.of(
                TestRuns.aRuntime().memoryMb(65), TestRuns.aRuntime().cpuCores(0.25),
                TestRuns.aRuntime().pidsLimit(7), TestRuns.aRuntime().network("bridge"),
                TestRuns.aRuntime().readOnlyRootfs(false),
                TestRuns.aRuntime().image("127.0.0.1:5000/other", "sha256:" + "1".repeat(64)))) {
            assertThat(PoolKey.of(policy.containerFor(TestRuns.aRun().runtime(runtime.build()).build(), "w")))
                    .isNotEqualTo(base);
        }
    }

    @Test
    void theMostRecentlyRunKeysGetContainersUpToTheCap() {
        Instant now = Instant.parse("2026-01-01T00:10:00Z");
        PoolKey a = key(1);
        PoolKey b = key(2);
        PoolKey c = key(3);
        PoolKey idle = key(4);
        Map<PoolKey, Instant> demand = Map.of(
                a, now.minusSeconds(30), b, now.minusSeconds(10), c, now.minusSeconds(20), idle, now.minusSeconds(601));

        LinkedHashMap<PoolKey, Integer> targets = WarmPool.targets(demand, now, Duration.ofMinutes(10), 2, 5);

        assertThat(targets).containsExactly(Map.entry(b, 2), Map.entry(c, 2), Map.entry(a, 1));
        assertThat(WarmPool.targets(demand, now, Duration.ofMinutes(10), 2, 4)).containsOnlyKeys(b, c);
        assertThat(WarmPool.targets(Map.of(), now, Duration.ofMinutes(10), 2, 4)).isEmpty();
    }

    @Test
    void aKeyRunSeveralTimesAtOnceWantsThatManyUpToTheCap() {
        Instant now = Instant.parse("2026-11-26T00:00:00Z");
        PoolKey busy = key(40);
        PoolKey quiet = key(41);
        Map<PoolKey, Instant> demand = Map.of(busy, now.minusSeconds(1), quiet, now.minusSeconds(2));

        assertThat(WarmPool.targets(demand, Map.of(busy, 3), now, Duration.ofMinutes(10), 1, 8))
                .containsExactly(Map.entry(busy, 3), Map.entry(quiet, 1));
        assertThat(WarmPool.targets(demand, Map.of(busy, 6), now, Duration.ofMinutes(10), 1, 4))
                .containsExactly(Map.entry(busy, 4));
        assertThat(WarmPool.targets(demand, Map.of(quiet, 1), now, Duration.ofMinutes(10), 2, 8))
                .containsExactly(Map.entry(busy, 2), Map.entry(quiet, 2));
    }

    @Test
    void theWarmScriptExportsTheEnvAndExecsTheCommandWithEveryWordQuoted() {
        ContainerSpec spec = policy.containerFor(TestRuns.aRun().command("printf", "%s", "it's", "$HOME")
                .env(Map.of("A", "x'y")).build(), "w");

        String script = new String(WarmPool.script(spec).orElseThrow(), StandardCharsets.UTF_8);

        assertThat(script).startsWith("unset SHLVL PWD OLDPWD\n")
                .contains("export 'A=x'\\''y'\n")
                .contains("command -v 'printf' >/dev/null 2>&1 || { echo 'exec: \"printf\": executable file not"
                        + " found in $PATH' >&2; exit 127; }\n")
                .endsWith("exec 'printf' '%s' 'it'\\''s' '$HOME'\n" + WarmPool.END_OF_SCRIPT + "\n");
    }

    @Test
    void aSpecTheWaitingShellCannotBeGivenExactlyGoesCold() {
        ContainerSpec endLine = policy.containerFor(
                TestRuns.aRun().command("echo", "a\n" + WarmPool.END_OF_SCRIPT + "\nb").build(), "w");
        ContainerSpec fine = policy.containerFor(TestRuns.aRun().command("echo", "a\n" + WarmPool.END_OF_SCRIPT + " ")
                .build(), "w");
        ContainerSpec badName = new ContainerSpec(fine.image(), fine.entrypoint(), fine.cmd(), List.of("A-B=1"),
                fine.workingDir(), fine.user(), fine.labels(), fine.memoryBytes(), fine.nanoCpus(), fine.pidsLimit(),
                fine.networkMode(), fine.hostsFile(), fine.readOnlyRootfs(), fine.tmpfs(), fine.capDrop(),
                fine.securityOpts(), fine.stdin(), fine.timeout());

        assertThat(WarmPool.script(endLine)).isEmpty();
        assertThat(WarmPool.script(badName)).isEmpty();
        assertThat(WarmPool.script(fine)).isPresent();
    }

    private PoolKey key(int memoryMb) {
        return PoolKey.of(policy.containerFor(TestRuns.aRun().runtime(TestRuns.aRuntime().memoryMb(memoryMb).build())
                .build(), "w"));
    }
}
