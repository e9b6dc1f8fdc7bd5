package dev.coderun.gateway.exec;

import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunError;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunStatus;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.Envelopes;
import dev.coderun.gateway.api.RunIdLogging;
import dev.coderun.gateway.auth.Caller;
import dev.coderun.gateway.runs.RunRecord;
import dev.coderun.gateway.runs.RunSubmissions;
import dev.coderun.gateway.runs.SubmitRunRequest;
import dev.coderun.gateway.runtimes.PostgresRuntimeRepository;
import dev.coderun.gateway.runtimes.RuntimeRecord;
import dev.coderun.gateway.streams.EventHub;
import dev.coderun.gateway.streams.RunTimeline;
import dev.coderun.gateway.streams.StreamProperties;
import dev.coderun.gateway.streams.Subscription;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * {@code POST /v1/runtimes/{runtime}/exec} (seed 001): runs a command and answers with its output in one request.
 * The run is a normal one, submitted through {@link RunSubmissions} (so it has a record, listed and readable by its
 * id); the request waits for its terminal transition and output chunks through the {@link EventHub}, subscribed
 * before the submission so nothing of the run is missed. The route names no handle: its scope ({@code runs:write}) is
 * declared in {@code auth.RouteAccess} like every route's, and the runtime is looked up only in the token's handles,
 * so another handle's runtime is {@code not_found} like one that does not exist.
 *
 * <p>Answers: SUCCEEDED, FAILED and TIMED_OUT are 200 with the process's result (a command that does not exist is
 * exit 127, a normal answer). ERRORED (the platform could not run it) is 503 {@code upstream_unavailable}; REJECTED
 * and CANCELLED are 409 {@code conflict}; a run that outlives the wait is 504 {@code upstream_timeout} and keeps
 * running. Each of those errors carries {@code run: {id, status, error}}.
 */
@RestController
class ExecController {

    private static final Pattern RUNTIME_KEY = Pattern.compile("^[a-z0-9][a-z0-9._-]{0,62}$");

    private final PostgresRuntimeRepository runtimes;
    private final RunSubmissions submissions;
    private final EventHub hub;
    private final ExecProperties properties;
    private final StreamProperties streams;

    ExecController(
            PostgresRuntimeRepository runtimes, RunSubmissions submissions, EventHub hub, ExecProperties properties,
            StreamProperties streams) {
        this.runtimes = runtimes;
        this.submissions = submissions;
        this.hub = hub;
        this.properties = properties;
        this.streams = streams;
    }

    /** What an exec error says about its run. */
    record ExecRun(UUID id, RunStatus status, RunError error) {}

    @PostMapping("/v1/runtimes/{runtime}/exec")
    Mono<Envelopes.Data<ExecResult>> exec(
            @PathVariable String runtime, @RequestBody ExecRequest request, ServerWebExchange exchange) {
        Caller caller = Caller.of(exchange);
        return resolve(caller, runtime).flatMap(found -> {
            SubmitRunRequest submit = new SubmitRunRequest(found.key(), null, request.command(), request.args(),
                    request.env(), request.stdin(), properties.resolveCwd(request.cwd()), request.timeoutSecs(),
                    request.maxOutputBytes(), null, null, request.secretEnv());
            return Flux.using(
                            () -> hub.subscribeHandleWithOutput(found.handle()),
                            live -> submissions.submit(found.handle(), caller, submit)
                                    .flatMap(run -> awaitEnd(live, run)
                                            .contextWrite(RunIdLogging.about(run.id().toString())))
                                    .flux(),
                            Subscription::close)
                    .next();
        }).map(Envelopes::data);
    }

    /** The runtime named by key or UUID in one of the caller's handles. */
    private Mono<RuntimeRecord> resolve(Caller caller, String runtime) {
        boolean uuid = isUuid(runtime);
        if (!uuid && !RUNTIME_KEY.matcher(runtime).matches()) {
            return Mono.error(notFound(runtime));
        }
        return Flux.fromIterable(caller.handles().stream().sorted().toList())
                .concatMap(handle -> runtimes.findByKeyOrId(handle, runtime))
                .collectList()
                .flatMap(found -> {
                    if (found.isEmpty()) {
                        return Mono.error(notFound(runtime));
                    }
                    if (found.size() > 1) {
                        return Mono.error(ApiException.conflict("runtime '" + runtime + "' exists in more than one"
                                + " of the token's handles; name it by its UUID"));
                    }
                    return Mono.just(found.getFirst());
                });
    }

    private Mono<ExecResult> awaitEnd(Subscription live, RunRecord run) {
        String runId = run.id().toString();
        RunTimeline timeline = new RunTimeline(runId, run.status(), run.attempt());
        List<OutputChunk> chunks = new ArrayList<>();
        Sinks.Empty<Void> terminal = Sinks.empty();
        return live.records()
                .doOnNext(record -> {
                    timeline.accept(record.message()).ifPresent(step -> {
                        if (step instanceof RunTimeline.Step.Output output) {
                            chunks.add(output.chunk());
                        }
                    });
                    if (timeline.terminal()) {
                        terminal.tryEmitEmpty();
                    }
                })
                .takeUntil(record -> timeline.complete())
                .takeUntilOther(terminal.asMono().then(Mono.delay(streams.terminalOutputGrace())))
                .then(Mono.fromCallable(() -> answer(run.id(), timeline, chunks)))
                .timeout(properties.waitFor(run.timeoutSeconds()), Mono.error(() -> ApiException.withExtra(
                        HttpStatus.GATEWAY_TIMEOUT, "upstream_timeout",
                        "run " + runId + " did not finish within the request (" + properties.waitFor(
                                run.timeoutSeconds()) + "); it keeps running: GET its record and output",
                        new ExecRun(run.id(), timeline.status(), null))))
                .onErrorMap(Subscription.Disconnected.class, e -> ApiException.withExtra(
                        HttpStatus.SERVICE_UNAVAILABLE, "upstream_unavailable",
                        "lost track of run " + runId + " (" + e.getMessage() + "); GET its record and output",
                        new ExecRun(run.id(), timeline.status(), null)));
    }

    private static ExecResult answer(UUID id, RunTimeline timeline, List<OutputChunk> chunks) {
        RunFinished finished = timeline.finished();
        if (finished == null) {
            throw ApiException.withExtra(HttpStatus.SERVICE_UNAVAILABLE, "upstream_unavailable",
                    "the event feed ended before run " + id + " finished; GET its record and output",
                    new ExecRun(id, timeline.status(), null));
        }
        ExecRun ref = new ExecRun(id, finished.status(), finished.error());
        return switch (finished.status()) {
            case SUCCEEDED, FAILED, TIMED_OUT -> {
                if (!timeline.complete()) {
                    throw ApiException.withExtra(HttpStatus.SERVICE_UNAVAILABLE, "upstream_unavailable",
                            "run " + id + " finished but only " + timeline.chunksOfFinishingAttempt() + " of its "
                                    + finished.output().chunks() + " output chunks arrived; GET its output",
                            ref);
                }
                yield ExecResult.of(finished, timeline.finishedAttempt(), chunks);
            }
            case ERRORED -> throw ApiException.withExtra(HttpStatus.SERVICE_UNAVAILABLE, "upstream_unavailable",
                    "run " + id + " could not be run: " + describe(finished.error()), ref);
            case REJECTED, CANCELLED -> throw ApiException.withExtra(HttpStatus.CONFLICT, "conflict",
                    "run " + id + " ended " + finished.status() + ": " + describe(finished.error()), ref);
            default -> throw new IllegalStateException("not terminal: " + finished.status());
        };
    }

    private static String describe(RunError error) {
        return error == null ? "no reason given" : error.code() + (error.message() == null ? "" : " (" + error.message()
                + ")");
    }

    private static ApiException notFound(String runtime) {
        return ApiException.notFound("runtime '" + runtime + "' not found");
    }

    private static boolean isUuid(String value) {
        try {
            UUID.fromString(value);
            return value.length() == 36;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
