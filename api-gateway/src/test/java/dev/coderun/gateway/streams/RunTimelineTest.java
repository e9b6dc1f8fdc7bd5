package dev.coderun.gateway.streams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.Message;
import dev.coderun.events.OutputChunk;
import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStatus;
import dev.coderun.gateway.runs.RunRecord;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunTimelineTest {

    private static final String RUN = "019a1b2c-3d4e-7f00-8a00-000000000001";
    private static final Instant T = Instant.parse("2026-11-23T10:00:00Z");

    private static List<String> feed(RunTimeline timeline, Message... messages) {
        List<String> out = new ArrayList<>();
        for (Message m : messages) {
            timeline.accept(m).ifPresent(step -> out.add(switch (step) {
                case RunTimeline.Step.Transition t -> t.transition().status() + "#" + t.transition().attempt();
                case RunTimeline.Step.Output o -> o.chunk().stream() + ":" + o.chunk().seq();
            }));
        }
        return out;
    }

    private static OutputChunk chunk(int attempt, int seq) {
        return new OutputChunk("alice", RUN, attempt, seq, OutputChunk.OutputStream.STDOUT,
                ("line" + seq).getBytes(StandardCharsets.UTF_8), T);
    }

    private static RunFinished finished(int attempt, int chunks) {
        return new RunFinished("alice", RUN, RunStatus.SUCCEEDED, attempt, "w1", 0, 5L, "exited", null,
                new OutputSummary(10, 0, false, false, chunks), T);
    }

    @Test
    void liveTransitionsTheHistoryAlreadyHoldsAreDroppedAndTheRestFollowOnce() {
        // The history ended at QUEUED#1; the hub, subscribed before the history was read, also saw that QUEUED.
        RunTimeline timeline = new RunTimeline(RUN, RunStatus.QUEUED, 1);

        List<String> live = feed(timeline,
                new RunQueued("alice", RUN, 1, 0, T),
                new RunStarting("alice", RUN, 1, "w1", T),
                new RunStarting("alice", RUN, 1, "w1", T),
                new RunStarted("alice", RUN, 1, "w1", T),
                chunk(1, 0),
                chunk(1, 0),
                finished(1, 1));

        assertThat(live).containsExactly("STARTING#1", "RUNNING#1", "STDOUT:0", "SUCCEEDED#1");
        assertThat(timeline.complete()).isTrue();
    }

    @Test
    void aHistoryReadAfterAnOlderRowContinuesFromItsLastMoveNotFromTheRow() {
        // The row was read while the run was PENDING; its transitions, read next, already held the QUEUED the
        // projector wrote in between. The stream sends that history, so the live QUEUED is not news.
        RunTimeline timeline = RunTimeline.after(RUN, RunStatus.PENDING, 0, List.of(
                RunRecord.Transition.pending(T),
                new RunRecord.Transition(RunStatus.QUEUED, T, null, null, 1)));

        assertThat(timeline.status()).isEqualTo(RunStatus.QUEUED);
        assertThat(feed(timeline, new RunQueued("alice", RUN, 1, 0, T), new RunStarting("alice", RUN, 1, "w1", T)))
                .containsExactly("STARTING#1");
    }

    @Test
    void aHistoryThatEndedIsTerminalThoughTheRowWasReadBefore() {
        RunTimeline timeline = RunTimeline.after(RUN, RunStatus.RUNNING, 1, List.of(
                new RunRecord.Transition(RunStatus.RUNNING, T, null, "w1", 1),
                new RunRecord.Transition(RunStatus.SUCCEEDED, T, "exited", "w1", 1)));

        assertThat(timeline.terminal()).isTrue();
        assertThat(feed(timeline, finished(1, 0))).isEmpty();
    }

    @Test
    void anotherRunsRecordsAreNotNews() {
        RunTimeline timeline = new RunTimeline(RUN, RunStatus.PENDING, 0);

        assertThat(feed(timeline, new RunQueued("alice", "other", 1, 0, T),
                new OutputChunk("alice", "other", 1, 0, OutputChunk.OutputStream.STDERR, new byte[1], T)))
                .isEmpty();
    }

    @Test
    void aTerminalRunIsCompleteOnlyOnceTheChunksItsTerminalEventCountsArrived() {
        RunTimeline timeline = new RunTimeline(RUN, RunStatus.RUNNING, 1);

        feed(timeline, chunk(1, 0), finished(1, 3));
        assertThat(timeline.terminal()).isTrue();
        assertThat(timeline.complete()).as("chunks 1 and 2 are still on their way").isFalse();

        feed(timeline, chunk(1, 2), chunk(1, 1));
        assertThat(timeline.complete()).isTrue();
        assertThat(timeline.chunksOfFinishingAttempt()).isEqualTo(3);
    }

    @Test
    void chunksOfALostAttemptDoNotCountForTheAttemptThatFinished() {
        RunTimeline timeline = new RunTimeline(RUN, RunStatus.RUNNING, 1);

        List<String> live = feed(timeline, chunk(1, 0), new RunQueued("alice", RUN, 2, 0, T),
                new RunStarting("alice", RUN, 2, "w2", T), new RunStarted("alice", RUN, 2, "w2", T),
                finished(2, 1));

        assertThat(live).containsExactly("STDOUT:0", "QUEUED#2", "STARTING#2", "RUNNING#2", "SUCCEEDED#2");
        assertThat(timeline.complete()).isFalse();
        feed(timeline, chunk(2, 0));
        assertThat(timeline.complete()).isTrue();
    }

    @Test
    void aRunTerminalInItsHistoryIsCompleteAndTakesNothingMore() {
        RunTimeline timeline = new RunTimeline(RUN, RunStatus.FAILED, 1);

        assertThat(timeline.complete()).isTrue();
        assertThat(feed(timeline, finished(1, 0))).isEmpty();
    }
}
