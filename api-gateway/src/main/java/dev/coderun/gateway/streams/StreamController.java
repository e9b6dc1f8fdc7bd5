package dev.coderun.gateway.streams;

import dev.coderun.events.RunEvent;
import dev.coderun.events.Topics;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.runs.PostgresRunRepository;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * Server-sent event streams of runs, fed live by the {@link EventHub} (the events and output topics), never by
 * polling the read model. Every stream sends a keep-alive comment when idle and ends with a named event when the hub
 * lets go of it ({@code overflow}: the client read too slowly).
 */
@RestController
class StreamController {

    /** How long before a run's creation its stream starts reading the events topic: clocks of two services. */
    private static final Duration CATCH_UP_SLACK = Duration.ofSeconds(5);

    private final EventHub hub;
    private final PostgresRunRepository runs;
    private final StreamProperties properties;

    StreamController(EventHub hub, PostgresRunRepository runs, StreamProperties properties) {
        this.hub = hub;
        this.runs = runs;
        this.properties = properties;
    }

    /**
     * One run: its transitions so far (its record), then the run's events from the events topic since shortly before
     * it was created up to the topic's end when the stream opened (the read model may not have projected them all
     * yet), then live transitions and output chunks, ending after the terminal transition and the output chunks its
     * last attempt published (waiting at most {@code terminal-output-grace} for them). The hub subscription is
     * registered before the record is read and the catch-up starts; live events at or before the catch-up's last
     * offset are dropped, and {@link RunTimeline} drops every transition already sent, so there is no gap and no
     * repeat. A finished run's record is complete: its history is the stream.
     */
    @GetMapping("/v2/handles/{handle}/code-runs/{runId}/events")
    Flux<ServerSentEvent<Object>> runEvents(@PathVariable String handle, @PathVariable String runId) {
        UUID id = parseRunId(runId);
        Flux<ServerSentEvent<Object>> events = Flux.using(() -> hub.subscribeRun(id.toString()), live -> runs.find(
                        handle, id)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("run " + runId + " not found")))
                .flatMapMany(record -> {
                    Flux<ServerSentEvent<Object>> history = Flux.fromIterable(record.transitions())
                            .map(t -> StreamEvents.transition(id.toString(), t));
                    RunTimeline timeline = RunTimeline.after(record);
                    if (timeline.terminal()) {
                        return history;
                    }
                    Sinks.Empty<Void> terminal = Sinks.empty();
                    AtomicLong boundary = new AtomicLong(Long.MAX_VALUE);
                    Flux<HubRecord> caughtUp = replayed(() -> HandleReplay.since(hub, handle,
                                    record.createdAt().minus(CATCH_UP_SLACK), properties.replayTimeout()), boundary,
                            records -> records.filter(r ->
                                    r.message() instanceof RunEvent event && event.runId().equals(id.toString())));
                    Flux<HubRecord> after = Flux.defer(() -> live.records()
                            .filter(r -> !r.topic().equals(Topics.EVENTS) || r.offset() > boundary.get()));
                    Flux<ServerSentEvent<Object>> rest = caughtUp.concatWith(after)
                            .concatMapIterable(r -> timeline.accept(r.message()).stream().toList())
                            .doOnNext(step -> {
                                if (timeline.terminal()) {
                                    terminal.tryEmitEmpty();
                                }
                            })
                            .takeUntil(step -> timeline.complete())
                            .takeUntilOther(terminal.asMono().then(Mono.delay(properties.terminalOutputGrace())))
                            .map(StreamEvents::step);
                    return history.concatWith(rest);
                }), Subscription::close);
        return StreamEvents.withKeepAlive(
                events.onErrorResume(Subscription.Disconnected.class, StreamEvents::disconnected),
                properties.keepAlive());
    }

    /**
     * Every status change of the handle's runs, live, each with the id {@code <partition>-<offset>} of its record on
     * the events topic. With {@code Last-Event-ID} (or {@code last_event_id}), the events after that one are replayed
     * first from Kafka; the live subscription, registered before the replay, takes over after the replay's last
     * offset, so nothing is missed or sent twice across a reconnect. The stream opens with a {@code connected}
     * comment once it is subscribed (and any Last-Event-ID checked): every event after that moment will be sent.
     */
    @GetMapping("/v2/handles/{handle}/code-runs/events")
    Flux<ServerSentEvent<Object>> handleEvents(
            @PathVariable String handle,
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventIdHeader,
            @RequestParam(name = "last_event_id", required = false) String lastEventIdParam) {
        String raw = lastEventIdHeader != null ? lastEventIdHeader : lastEventIdParam;
        EventId last = raw == null ? null : EventId.parse(raw);
        Flux<ServerSentEvent<Object>> events = Flux.using(() -> hub.subscribeHandle(handle), live -> {
            if (last == null) {
                return Flux.just(StreamEvents.connected()).concatWith(live.records().map(StreamEvents::transition));
            }
            AtomicLong boundary = new AtomicLong(-1);
            Flux<ServerSentEvent<Object>> replayed = replayed(
                    () -> HandleReplay.open(hub, handle, last, properties.replayTimeout()), boundary,
                    records -> Flux.just(StreamEvents.connected()).concatWith(records.map(StreamEvents::transition)));
            return replayed.concatWith(Flux.defer(() -> live.records()
                    .filter(r -> r.offset() > boundary.get())
                    .map(StreamEvents::transition)));
        }, Subscription::close);
        return StreamEvents.withKeepAlive(
                events.onErrorResume(Subscription.Disconnected.class, StreamEvents::disconnected),
                properties.keepAlive());
    }

    /**
     * {@code body} applied to the records of the replay {@code open} opens, off the event loop; the replay is closed
     * when done or cancelled. {@code body} is applied only once the replay is open (a refused Last-Event-ID fails
     * before anything is emitted), and the replay's last offset is in {@code boundary} by then.
     */
    private static <T> Flux<T> replayed(
            Callable<HandleReplay> open, AtomicLong boundary, Function<Flux<HubRecord>, Flux<T>> body) {
        return Flux.using(() -> {
                    HandleReplay replay = open.call();
                    boundary.set(replay.boundary());
                    return replay;
                }, replay -> body.apply(Flux.<List<HubRecord>>generate(sink -> {
                    List<HubRecord> batch = replay.next();
                    if (batch == null) {
                        sink.complete();
                    } else {
                        sink.next(batch);
                    }
                }).concatMapIterable(batch -> batch)), HandleReplay::close)
                .subscribeOn(Schedulers.boundedElastic());
    }

    private static UUID parseRunId(String runId) {
        try {
            return UUID.fromString(runId);
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound("run " + runId + " not found");
        }
    }
}
