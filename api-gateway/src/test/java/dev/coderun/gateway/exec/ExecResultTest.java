package dev.coderun.gateway.exec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.OutputChunk;
import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExecResultTest {

    private static final String RUN = "019a1b2c-3d4e-7f00-8a00-000000000001";

    private static OutputChunk chunk(int attempt, int seq, OutputChunk.OutputStream stream, String text) {
        return new OutputChunk("alice", RUN, attempt, seq, stream, text.getBytes(StandardCharsets.UTF_8),
                Instant.EPOCH);
    }

    @Test
    void theAnswerJoinsTheFinishingAttemptsChunksBySeqPerStream() {
        RunFinished finished = new RunFinished("alice", RUN, RunStatus.FAILED, 2, "w1", 3, 42L, "exited", null,
                new OutputSummary(6, 4, false, true, 4), Instant.EPOCH);

        ExecResult result = ExecResult.of(finished, 2, List.of(
                chunk(2, 2, OutputChunk.OutputStream.STDOUT, "def"),
                chunk(1, 0, OutputChunk.OutputStream.STDOUT, "lost attempt"),
                chunk(2, 0, OutputChunk.OutputStream.STDOUT, "abc"),
                chunk(2, 1, OutputChunk.OutputStream.STDERR, "er"),
                chunk(2, 1, OutputChunk.OutputStream.STDERR, "er"),
                chunk(2, 3, OutputChunk.OutputStream.STDERR, "r!")));

        assertThat(result).isEqualTo(new ExecResult(42, 3, "abcdef", "err!", false, true,
                java.util.UUID.fromString(RUN), RunStatus.FAILED));
    }

    @Test
    void aTimedOutRunWithoutAnExitCodeAnswers124() {
        RunFinished finished = new RunFinished("alice", RUN, RunStatus.TIMED_OUT, 1, "w1", null, 1000L, "timeout",
                null, OutputSummary.NONE, Instant.EPOCH);

        assertThat(ExecResult.of(finished, 1, List.of()).exitCode()).isEqualTo(124);
    }

    @Test
    void aRelativeCwdLandsUnderTheScratchDirectoryAndAnAbsoluteOneStays() {
        ExecProperties properties = new ExecProperties(Duration.ofSeconds(30), Duration.ofSeconds(100), "/tmp");

        assertThat(properties.resolveCwd("example")).isEqualTo("/tmp/example");
        assertThat(properties.resolveCwd("a/b")).isEqualTo("/tmp/a/b");
        assertThat(properties.resolveCwd(".")).isEqualTo("/tmp");
        assertThat(properties.resolveCwd("/work")).isEqualTo("/work");
        assertThat(properties.resolveCwd(null)).isNull();
        assertThat(properties.resolveCwd("../etc")).as("left for the run validator to refuse")
                .isEqualTo("/tmp/../etc");
    }

    @Test
    void theWaitIsTheRunsTimeoutPlusTheMarginCappedAtTheMaximum() {
        ExecProperties properties = new ExecProperties(Duration.ofSeconds(30), Duration.ofSeconds(100), "/tmp");

        assertThat(properties.waitFor(1)).isEqualTo(Duration.ofSeconds(31));
        assertThat(properties.waitFor(3600)).isEqualTo(Duration.ofSeconds(100));
    }
}
