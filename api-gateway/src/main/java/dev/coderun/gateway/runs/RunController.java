package dev.coderun.gateway.runs;

import dev.coderun.events.CancelRun;
import dev.coderun.events.RunStatus;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.Envelopes;
import dev.coderun.gateway.auth.Caller;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.api.RequestSpans;
import dev.coderun.gateway.limits.RequestLimits;
import dev.coderun.observability.KafkaTracing;
import io.micrometer.tracing.Span;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** {@code /v2/handles/{handle}/code-runs}: submit and cancel runs, read their records and output. */
@RestController
class RunController {

    private static final Logger log = LoggerFactory.getLogger(RunController.class);

    private final RunSubmissions submissions;
    private final PostgresRunRepository runs;
    private final KafkaCommandPublisher commands;
    private final RequestLimits limits;
    private final KafkaTracing tracing;
    private final RequestSpans requestSpans;
    private final Clock clock = Clock.systemUTC();

    RunController(
            RunSubmissions submissions, PostgresRunRepository runs, KafkaCommandPublisher commands,
            RequestLimits limits, KafkaTracing tracing, RequestSpans requestSpans) {
        this.submissions = submissions;
        this.tracing = tracing;
        this.requestSpans = requestSpans;
        this.limits = limits;
        this.runs = runs;
        this.commands = commands;
    }

    /** Submits a run; with an {@code Idempotency-Key}, a repeat of the same request answers the same run. */
    @PostMapping("/v2/handles/{handle}/code-runs")
    Mono<ResponseEntity<Envelopes.Data<RunRecord>>> submit(
            @PathVariable String handle,
            @RequestBody SubmitRunRequest request,
            @RequestHeader(name = IdempotencyKeys.HEADER, required = false) String idempotencyKey,
            ServerWebExchange exchange) {
        Caller caller = Caller.of(exchange);
        List<FieldViolation> keyProblems = idempotencyKey == null ? List.of() : IdempotencyKeys.check(
                IdempotencyKeys.HEADER, idempotencyKey, limits.maxIdempotencyKeyChars()).stream().toList();
        var item = new RunSubmissions.Item(request, keyProblems.isEmpty() ? idempotencyKey : null, keyProblems);
        return submissions.submit(handle, caller, item).map(accepted -> {
            var answer = ResponseEntity.status(HttpStatus.ACCEPTED);
            if (accepted.replayed()) {
                answer.header(IdempotencyKeys.REPLAYED_HEADER, "true");
            }
            return answer.body(Envelopes.data(accepted.run()));
        });
    }

    /**
     * Asks the scheduler to cancel the run ({@link Cancellation} says what the client gets). The command is published
     * like a submission: durable in Kafka before the answer, {@code upstream_unavailable} when it is not.
     *
     * <p>Tracing: the {@code CancelRun} is published in a span of its own ({@code gateway publish CancelRun}, tagged
     * with the run's id) under the span of the cancel request, and carries its context, so the scheduler's decision
     * and the stop on the worker join the cancel request's trace. The run keeps its own trace ({@code trace_id}).
     */
    @PostMapping("/v2/handles/{handle}/code-runs/{runId}/cancel")
    Mono<ResponseEntity<Envelopes.Data<RunRecord>>> cancel(
            @PathVariable String handle, @PathVariable String runId, ServerWebExchange exchange) {
        Caller caller = Caller.of(exchange);
        return Mono.deferContextual(ctx -> {
                    Span request = requestSpans.of(ctx);
                    return find(handle, runId).flatMap(run -> {
                        Cancellation.requireCancellable(run.id(), run.status());
                        CancelRun cancel =
                                new CancelRun(handle, run.id().toString(), caller.subject(), clock.instant());
                        Mono<RunRecord> reread = runs.find(handle, run.id()).doOnError(e -> log.warn(
                                "run {} cancel requested but the run could not be re-read: {}", run.id(),
                                e.toString()));
                        Span publish = tracing.producer(request, "gateway publish CancelRun", cancel.runId());
                        return commands.publish(cancel, publish).then(Cancellation.settle(reread, run));
                    });
                })
                .map(run -> ResponseEntity.status(Cancellation.answer(run.status())).body(Envelopes.data(run)));
    }

    @GetMapping("/v2/handles/{handle}/code-runs/{runId}")
    Mono<Envelopes.Data<RunRecord>> get(@PathVariable String handle, @PathVariable String runId) {
        return find(handle, runId).map(Envelopes::data);
    }

    @GetMapping("/v2/handles/{handle}/code-runs/{runId}/output")
    Mono<Envelopes.Data<RunOutput>> output(@PathVariable String handle, @PathVariable String runId) {
        return runs.outputState(handle, parseRunId(runId))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("run " + runId + " not found")))
                .flatMap(run -> runs.output(run).map(out -> {
                    // Produced, not retained: a run whose output was all cut by max_output_bytes 0 still produced some.
                    boolean nothingProduced = out.stdoutBytes() == 0 && out.stderrBytes() == 0;
                    if (run.status().isTerminal() && run.error() != null && nothingProduced) {
                        throw ApiException.withExtra(HttpStatus.CONFLICT, "output_unavailable",
                                "run " + run.id() + " ended " + run.status() + " without output: "
                                        + run.error().code(),
                                new ErroredRun(run.id(), run.status(), run.error()));
                    }
                    return Envelopes.data(out);
                }));
    }

    /** What an output_unavailable error says about the run. */
    record ErroredRun(UUID id, RunStatus status, dev.coderun.events.RunError error) {}

    /** Newest first, narrowed by the filters {@link RunListQuery} reads from the query string; keyset pages. */
    @GetMapping("/v2/handles/{handle}/code-runs")
    Mono<Envelopes.Page<RunRecord>> list(@PathVariable String handle, ServerWebExchange exchange) {
        RunListQuery query = RunListQuery.parse(exchange.getRequest().getQueryParams(), limits);
        int limit = query.limit();
        return runs.list(handle, query, limit + 1).collectList().map(page -> {
            boolean more = page.size() > limit;
            List<RunRecord> shown = more ? page.subList(0, limit) : page;
            return new Envelopes.Page<>(shown, more ? cursorAfter(shown.getLast()) : null);
        });
    }

    private Mono<RunRecord> find(String handle, String runId) {
        return runs.find(handle, parseRunId(runId))
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("run " + runId + " not found")));
    }

    /** A run id that is not a UUID names no run: not found, like any other unknown id. */
    private static UUID parseRunId(String runId) {
        try {
            return UUID.fromString(runId);
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound("run " + runId + " not found");
        }
    }

    private static String cursorAfter(RunRecord last) {
        return new RunListQuery.Cursor(last.createdAt(), last.id()).encode();
    }
}
