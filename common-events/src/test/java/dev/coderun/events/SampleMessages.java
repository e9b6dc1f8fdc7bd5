package dev.coderun.events;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One fixed sample of every message type, for the golden-file tests. */
final class SampleMessages {

    static final Instant AT = Instant.parse("2026-11-23T10:15:30.123Z");

    static RunSpec spec() {
        return new RunSpec(
                "019aa8f0-7c1e-7000-8000-000000000001",
                "acme",
                new RuntimeSnapshot(
                        "busybox",
                        "6f1c2e2a-1111-4a4a-9b9b-0123456789ab",
                        3,
                        "127.0.0.1:5000/coderun/busybox",
                        "sha256:" + "ab".repeat(32),
                        0.5,
                        256,
                        64,
                        "none",
                        true,
                        Map.of("LANG", "C.UTF-8")),
                "nightly-qa-0001",
                "echo",
                List.of("hello", "world"),
                Map.of("GREETING", "hi"),
                "input\n",
                "/tmp",
                30,
                1_048_576,
                1,
                Map.of("suite", "smoke"),
                "user:alice",
                AT,
                List.of("API_TOKEN"),
                // The text a SecretKeyRing seal gives (random each time, so a fixed one here).
                "v1.k1.bm90LXJlYWxseS1zZWFsZWQtLWp1c3QtYS1maXh0dXJl");
    }

    static List<Message> all() {
        String handle = "acme";
        String runId = spec().runId();
        return List.of(
                new SubmitRun(spec(), AT),
                new CancelRun(handle, runId, "user:alice", AT),
                new RunAccepted(spec().withoutSealedSecrets(), AT),
                new RunQueued(handle, runId, 1, 0, AT),
                new RunStarting(handle, runId, 1, "worker-a", AT),
                new RunStarted(handle, runId, 1, "worker-a", AT),
                new RunFinished(
                        handle,
                        runId,
                        RunStatus.SUCCEEDED,
                        1,
                        "worker-a",
                        0,
                        412L,
                        "exited",
                        null,
                        new OutputSummary(12, 0, false, false, 1),
                        AT),
                new DispatchRun(spec(), 1, AT),
                new StopRun(runId, 1, StopRun.CANCELLED, AT),
                new OutputChunk(
                        handle,
                        runId,
                        1,
                        0,
                        OutputChunk.OutputStream.STDOUT,
                        "hello world\n".getBytes(StandardCharsets.UTF_8),
                        AT),
                new WorkerHeartbeat("worker-a", 4, List.of(runId), AT.minusSeconds(60), AT, "host-a",
                        WorkerHeartbeat.DRAINING, List.of(new WorkerHeartbeat.RunAttempt(runId, 2)),
                        AT.plusSeconds(60), List.of(new WorkerHeartbeat.RunAttempt(runId, 1))),
                new DrainWorker("worker-a", AT.plusSeconds(60), AT),
                new UndrainWorker("worker-a", AT));
    }

    private SampleMessages() {}
}
