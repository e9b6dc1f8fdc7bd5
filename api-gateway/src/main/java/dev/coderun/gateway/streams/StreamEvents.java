package dev.coderun.gateway.streams;

import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunStatus;
import dev.coderun.gateway.projection.RunFold;
import dev.coderun.gateway.runs.RunRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** What the SSE routes send: the event names, their data shapes, keep-alive comments and the final disconnect. */
final class StreamEvents {

    static final String TRANSITION = "transition";
    static final String OUTPUT = "output";

    private StreamEvents() {}

    /** {@code event: transition}: one entry of a run's history. */
    record TransitionData(String runId, RunStatus status, Instant at, String reason, String workerId, int attempt) {}

    /**
     * {@code event: output}: one chunk of a run's retained output, decoded as UTF-8 (a character split across two
     * chunks reads as replacement characters; {@code GET .../output} has the exact text).
     */
    record OutputData(String runId, String stream, String data, int attempt, int seq) {}

    static ServerSentEvent<Object> transition(String runId, RunRecord.Transition t) {
        return ServerSentEvent.<Object>builder(
                        new TransitionData(runId, t.status(), t.at(), t.reason(), t.workerId(), t.attempt()))
                .event(TRANSITION)
                .build();
    }

    /** A handle-stream event, with the id that resumes after it. */
    static ServerSentEvent<Object> transition(HubRecord record) {
        RunEvent event = (RunEvent) record.message();
        int attempt = RunFold.attemptOf(event, 0);
        RunRecord.Transition t = RunFold.transitionOf(event, attempt);
        return ServerSentEvent.<Object>builder(
                        new TransitionData(event.runId(), t.status(), t.at(), t.reason(), t.workerId(), t.attempt()))
                .id(record.eventId().toString())
                .event(TRANSITION)
                .build();
    }

    static ServerSentEvent<Object> output(OutputChunk chunk) {
        return ServerSentEvent.<Object>builder(new OutputData(chunk.runId(),
                        chunk.stream().name().toLowerCase(Locale.ROOT),
                        new String(chunk.data(), StandardCharsets.UTF_8), chunk.attempt(), chunk.seq()))
                .event(OUTPUT)
                .build();
    }

    static ServerSentEvent<Object> step(RunTimeline.Step step) {
        return switch (step) {
            case RunTimeline.Step.Transition t -> transition(t.runId(), t.transition());
            case RunTimeline.Step.Output o -> output(o.chunk());
        };
    }

    /** The comment a handle stream opens with once its subscription is registered. */
    static ServerSentEvent<Object> connected() {
        return ServerSentEvent.<Object>builder().comment("connected").build();
    }

    /** The last event of a stream the hub let go of: its name says why, e.g. {@code overflow}. */
    static Flux<ServerSentEvent<Object>> disconnected(Subscription.Disconnected why) {
        return Flux.just(ServerSentEvent.<Object>builder(Map.of("reason", why.getMessage())).event(why.event()).build());
    }

    /** The events with an SSE comment every {@code every} in between; ends when the events end. */
    static Flux<ServerSentEvent<Object>> withKeepAlive(Flux<ServerSentEvent<Object>> events, Duration every) {
        Flux<Optional<ServerSentEvent<Object>>> ended = events.map(Optional::of).concatWith(Mono.just(Optional.empty()));
        Flux<Optional<ServerSentEvent<Object>>> comments = Flux.interval(every, every)
                .map(i -> Optional.of(ServerSentEvent.<Object>builder().comment("keep-alive").build()));
        return Flux.merge(ended, comments).takeWhile(Optional::isPresent).map(Optional::get);
    }
}
