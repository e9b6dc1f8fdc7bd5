package dev.coderun.gateway.streams;

import dev.coderun.events.Message;
import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunStateMachine;
import dev.coderun.events.RunStatus;
import dev.coderun.gateway.projection.RunFold;
import dev.coderun.gateway.runs.RunRecord;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One run's live view, continued from a point of its history: decides, for each record the hub delivers, whether it
 * is news. A transition is folded with the projector's own rule ({@link RunFold}), so one the history already holds
 * (same status and attempt), a stale one or a duplicate is dropped, and the live part continues the history with no
 * gap and no repeat. An output chunk is news once per (attempt, seq). Pure; not thread-safe.
 */
public final class RunTimeline {

    private final String runId;
    private RunStatus status;
    private int attempt;
    private RunFinished finished;
    private int finishedAttempt;
    private final Map<Integer, Set<Integer>> chunksSeen = new HashMap<>();

    public RunTimeline(String runId, RunStatus status, int attempt) {
        this.runId = runId;
        this.status = status;
        this.attempt = attempt;
    }

    /** Continues after the record's history, as the read model holds it. */
    public static RunTimeline after(RunRecord record) {
        return after(record.id().toString(), record.status(), record.attempt(), record.transitions());
    }

    /**
     * Continues after {@code history}, the run's transitions read after its row (at {@code status} and
     * {@code attempt}): they may hold moves the row did not show yet, written between the two reads (a run accepted
     * and queued in one poll is written in two statements), so each that moves on from the row's state advances the
     * timeline, and a live event the history already sent is not sent again.
     */
    public static RunTimeline after(String runId, RunStatus status, int attempt, List<RunRecord.Transition> history) {
        RunTimeline timeline = new RunTimeline(runId, status, attempt);
        for (RunRecord.Transition transition : history) {
            if (RunStateMachine.accepts(timeline.status, timeline.attempt, transition.status(),
                    transition.attempt())) {
                timeline.status = transition.status();
                timeline.attempt = transition.attempt();
            }
        }
        return timeline;
    }

    /** What a record adds to this run's stream, if anything. */
    public Optional<Step> accept(Message message) {
        switch (message) {
            case RunEvent event when event.runId().equals(runId) -> {
                if (!RunFold.applies(status, attempt, event)) {
                    return Optional.empty();
                }
                attempt = RunFold.attemptOf(event, attempt);
                status = event.status();
                if (event instanceof RunFinished f) {
                    finished = f;
                    finishedAttempt = attempt;
                }
                return Optional.of(new Step.Transition(runId, RunFold.transitionOf(event, attempt)));
            }
            case OutputChunk chunk when chunk.runId().equals(runId) -> {
                boolean fresh = chunksSeen.computeIfAbsent(chunk.attempt(), a -> new HashSet<>()).add(chunk.seq());
                return fresh ? Optional.of(new Step.Output(chunk)) : Optional.empty();
            }
            default -> {
                return Optional.empty();
            }
        }
    }

    public RunStatus status() {
        return status;
    }

    public boolean terminal() {
        return status.isTerminal();
    }

    /** The terminal event this timeline saw, or null (not terminal yet, or terminal already in the history). */
    public RunFinished finished() {
        return finished;
    }

    /**
     * Terminal, and every output chunk the finishing attempt published has been seen (the terminal event says how
     * many). A run that was terminal already in its history is complete: its live part is empty.
     */
    public boolean complete() {
        if (!status.isTerminal()) {
            return false;
        }
        if (finished == null) {
            return true;
        }
        return chunksSeen.getOrDefault(finishedAttempt, Set.of()).size() >= finished.output().chunks();
    }

    /** The chunks seen of the attempt that finished the run. */
    public int chunksOfFinishingAttempt() {
        return chunksSeen.getOrDefault(finishedAttempt, Set.of()).size();
    }

    public int finishedAttempt() {
        return finishedAttempt;
    }

    /** Something a run's stream sends. */
    public sealed interface Step {

        record Transition(String runId, RunRecord.Transition transition) implements Step {}

        record Output(OutputChunk chunk) implements Step {}
    }
}
