package dev.coderun.gateway.runs;

import dev.coderun.events.RunSpec;
import dev.coderun.events.SecretKeyRing;
import dev.coderun.events.SubmitRun;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.api.RequestSpans;
import dev.coderun.gateway.api.RunIdLogging;
import dev.coderun.gateway.auth.Caller;
import dev.coderun.gateway.limits.RequestLimits;
import dev.coderun.gateway.quota.DailyWriteQuota;
import dev.coderun.gateway.runtimes.PostgresRuntimeRepository;
import dev.coderun.gateway.runtimes.RuntimeRecord;
import dev.coderun.gateway.runtimes.RuntimeValidator;
import dev.coderun.observability.KafkaTracing;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.tracing.Span;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The submit path, in one pass: check each request's shape, resolve the runtimes they name (once per runtime),
 * build the {@link RunSpec}s, claim idempotency keys, reserve the new runs' daily writes ({@link DailyWriteQuota}:
 * those past the quota are refused {@code quota_exceeded}, in order, and a run whose publish fails gives its write
 * back; replays count nothing), publish the {@link SubmitRun}s and write the PENDING rows, which no reader sees before
 * the run is durable in Kafka ({@link #publish}). Every route that creates a run goes through here; a single submit is
 * a batch of one, grouped with the single submits to its handle that arrive while earlier ones are being accepted
 * ({@link GroupCommit}, {@link SubmitProperties}), so under load one round of statements serves many.
 *
 * <p>Idempotency: a key names the first request accepted with it for {@link IdempotencyProperties#retention()}. A
 * repeat with the same request (same {@link IdempotencyKeys#fingerprint}, secret values keyed) is answered with that
 * run, marked replayed; with another request it is 422 {@code idempotency_key_reused}. A refused request does not take
 * its key. A repeat arriving while the first is still being accepted waits up to
 * {@link IdempotencyProperties#inProgressWait()}, then is 409 {@code conflict}.
 *
 * <p>Tracing ({@link KafkaTracing}): each run's {@code SubmitRun} is published in a span of its own under the span of
 * the HTTP request that submitted it (its trace id is the run's {@code trace_id}), also when single submits of many
 * requests leave in one group. A batch is one request, so its runs share the request's trace, one publish span each.
 */
@Component
public class RunSubmissions {

    private static final Logger log = LoggerFactory.getLogger(RunSubmissions.class);
    private static final Duration HOLDER_POLL = Duration.ofMillis(25);
    private static final String SUBMISSIONS = "coderun.submissions";

    /**
     * The fewest runs whose PENDING rows are written while their commands travel ({@link #publish}). Below it the
     * transaction's two extra statements cost more than the wait they hide: with it for every group, 5,000 single
     * submits at 32 clients took PostgreSQL 3.2 s of CPU against 2.1 s.
     */
    static final int OVERLAPPED_ROWS_MIN_RUNS = 100;

    private final PostgresRuntimeRepository runtimes;
    private final PostgresRunRepository runs;
    private final KafkaCommandPublisher commands;
    private final PostgresIdempotencyKeys keys;
    private final IdempotencyProperties idempotency;
    private final RequestLimits limits;
    private final RunRequestValidator validator;
    private final GroupCommit<String, Waiting> groups;
    private final SecretKeyRing keyRing;
    private final DailyWriteQuota quota;
    private final KafkaTracing tracing;
    private final RequestSpans requestSpans;
    private final Clock clock = Clock.systemUTC();
    private final MeterRegistry meters;

    RunSubmissions(
            PostgresRuntimeRepository runtimes,
            PostgresRunRepository runs,
            KafkaCommandPublisher commands,
            PostgresIdempotencyKeys keys,
            IdempotencyProperties idempotency,
            RequestLimits limits,
            SubmitProperties grouping,
            SecretKeyRing keyRing,
            DailyWriteQuota quota,
            MeterRegistry meters,
            KafkaTracing tracing,
            RequestSpans requestSpans) {
        this.meters = meters;
        this.tracing = tracing;
        this.requestSpans = requestSpans;
        this.keyRing = keyRing;
        this.runtimes = runtimes;
        this.runs = runs;
        this.commands = commands;
        this.keys = keys;
        this.idempotency = idempotency;
        this.limits = limits;
        this.validator = new RunRequestValidator(limits);
        this.groups = new GroupCommit<>(grouping.maxGroupsInFlight(), grouping.maxGroupSize());
        this.quota = quota;
    }

    /**
     * One run to submit.
     *
     * @param request null when the item could not be read at all ({@code earlier} then says why)
     * @param idempotencyKey null when the client sent none
     * @param earlier what was found wrong before the request reached here (its key, its JSON); reported with the
     *     request's own problems
     */
    public record Item(SubmitRunRequest request, String idempotencyKey, List<FieldViolation> earlier) {

        public Item {
            earlier = List.copyOf(earlier);
        }

        public static Item of(SubmitRunRequest request) {
            return new Item(request, null, List.of());
        }
    }

    /** What became of one submitted item. */
    public sealed interface Outcome {

        /** The item's run: new, or the run an earlier request with the same key created ({@code replayed}). */
        record Accepted(RunRecord run, boolean replayed) implements Outcome {}

        /** The error a single submit of this item answers. */
        record Refused(ApiException error) implements Outcome {}
    }

    /** Accepts one run for {@code handle} on behalf of {@code caller}; the caller's access is already checked. */
    public Mono<RunRecord> submit(String handle, Caller caller, SubmitRunRequest request) {
        return submit(handle, caller, Item.of(request)).map(Outcome.Accepted::run);
    }

    /** {@link #submit(String, Caller, SubmitRunRequest)} with an idempotency key: the run, or a replay of it. */
    public Mono<Outcome.Accepted> submit(String handle, Caller caller, Item item) {
        return Mono.deferContextual(ctx -> {
                    Waiting waiting = new Waiting(caller, item, Sinks.one(), requestSpans.of(ctx));
                    run(handle, groups.offer(handle, waiting));
                    return waiting.step().asMono();
                })
                .flatMap(step -> finish(handle, step))
                .doOnNext(this::count)
                .doOnError(e -> countFailed(e, 1))
                .map(outcome -> switch (outcome) {
                    case Outcome.Accepted accepted -> accepted;
                    case Outcome.Refused refused -> throw refused.error();
                });
    }

    /** A single submit waiting for its group: the group's step for it arrives on {@code step}. */
    private record Waiting(Caller caller, Item item, Sinks.One<Step> step, Span request) {}

    /**
     * Accepts {@code group} (nothing when empty), hands each waiting submit its step, then runs the lane's next group.
     * Every waiting submit gets a step or an error, exactly once.
     */
    private void run(String handle, List<Waiting> group) {
        if (group.isEmpty()) {
            return;
        }
        List<Caller> callers = group.stream().map(Waiting::caller).toList();
        List<Item> items = group.stream().map(Waiting::item).toList();
        List<Span> requests = group.stream().map(Waiting::request).toList();
        Mono.defer(() -> steps(handle, callers, items, requests)).subscribe(
                steps -> {
                    for (int i = 0; i < group.size(); i++) {
                        group.get(i).step().tryEmitValue(steps.get(i));
                    }
                },
                error -> {
                    group.forEach(waiting -> waiting.step().tryEmitError(error));
                    run(handle, groups.finished(handle));
                },
                () -> {
                    // Only answers a submit the value above did not (it has none).
                    group.forEach(waiting -> waiting.step().tryEmitError(new IllegalStateException("no outcome")));
                    run(handle, groups.finished(handle));
                });
    }

    /**
     * Submits every item; answers one outcome per item, in order. Valid items are accepted whatever happens to the
     * others; each accepted run is durable in Kafka when this completes.
     */
    public Mono<List<Outcome>> submitAll(String handle, Caller caller, List<Item> items) {
        return Mono.deferContextual(ctx -> steps(handle, Collections.nCopies(items.size(), caller), items,
                        Collections.nCopies(items.size(), requestSpans.of(ctx))))
                .flatMap(steps -> Flux.fromIterable(steps)
                        .flatMapSequential(step -> finish(handle, step))
                        .collectList())
                .doOnNext(outcomes -> outcomes.forEach(this::count))
                .doOnError(e -> countFailed(e, items.size()));
    }

    /**
     * Counts a submitted item by outcome ({@code coderun.submissions}): {@code accepted}, {@code replayed} (an
     * idempotency key's earlier run), or the error code it was refused with, a small fixed set.
     */
    private void count(Outcome outcome) {
        String tag = switch (outcome) {
            case Outcome.Accepted accepted -> accepted.replayed() ? "replayed" : "accepted";
            case Outcome.Refused refused -> refused.error().code();
        };
        meters.counter(SUBMISSIONS, "outcome", tag).increment();
    }

    /** Counts {@code items} submitted items that failed together, before any had an outcome. */
    private void countFailed(Throwable error, int items) {
        String tag = error instanceof ApiException api ? api.code() : "internal";
        meters.counter(SUBMISSIONS, "outcome", tag).increment(items);
    }

    /**
     * What becomes of each item, in order, as far as accepting them together decides it: an outcome, or the key and
     * fingerprint whose holder answers it ({@link #finish}). Item {@code i} is submitted on behalf of
     * {@code callers.get(i)}, in the request whose span is {@code requests.get(i)}.
     */
    private Mono<List<Step>> steps(String handle, List<Caller> callers, List<Item> items, List<Span> requests) {
        int n = items.size();
        Outcome[] outcomes = new Outcome[n];
        IdempotencyKeys.Fingerprint[] fingerprints = new IdempotencyKeys.Fingerprint[n];
        Set<String> runtimeKeys = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            Item item = items.get(i);
            List<FieldViolation> violations = new ArrayList<>(item.earlier());
            if (item.request() != null) {
                violations.addAll(validator.checkShape(item.request()));
            }
            if (!violations.isEmpty()) {
                outcomes[i] = new Outcome.Refused(ApiException.validation(violations));
                continue;
            }
            byte[] canonical = IdempotencyKeys.canonical(item.request());
            if (canonical.length > limits.maxRunRequestBytes()) {
                outcomes[i] = new Outcome.Refused(ApiException.payloadTooLarge(
                        "the run is larger than one run request may be (" + limits.maxRunRequestBytes() + " bytes)"));
                continue;
            }
            if (item.idempotencyKey() != null) {
                fingerprints[i] = IdempotencyKeys.fingerprint(item.request(), canonical, keyRing);
            }
            if (RuntimeValidator.KEY.matcher(item.request().runtimeKey()).matches()) {
                // A key no runtime can have is not looked up: it is not found.
                runtimeKeys.add(item.request().runtimeKey());
            }
        }
        return Flux.fromIterable(runtimeKeys)
                .flatMap(key -> runtimes.find(handle, key))
                .collectMap(RuntimeRecord::key)
                .flatMap(resolved -> accept(handle, callers, items, requests, outcomes, fingerprints, resolved));
    }

    private Mono<List<Step>> accept(
            String handle,
            List<Caller> callers,
            List<Item> items,
            List<Span> requests,
            Outcome[] outcomes,
            IdempotencyKeys.Fingerprint[] fingerprints,
            Map<String, RuntimeRecord> resolved) {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        RunSpec[] specs = new RunSpec[items.size()];
        Map<String, Integer> firstWithKey = new HashMap<>();
        int[] sameAs = new int[items.size()];
        List<Integer> claimants = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            sameAs[i] = -1;
            if (outcomes[i] != null) {
                continue;
            }
            Item item = items.get(i);
            try {
                specs[i] = prepare(handle, callers.get(i), item.request(), resolved.get(item.request().runtimeKey()), now);
            } catch (ApiException refused) {
                outcomes[i] = new Outcome.Refused(refused);
                continue;
            }
            String key = item.idempotencyKey();
            if (key == null) {
                continue;
            }
            Integer first = firstWithKey.putIfAbsent(key, i);
            if (first == null) {
                claimants.add(i);
            } else if (fingerprints[first].matches(fingerprints[i].current())) {
                sameAs[i] = first;
            } else {
                outcomes[i] = new Outcome.Refused(reused(key));
            }
        }
        List<PostgresIdempotencyKeys.Claim> claims = new ArrayList<>(claimants.size());
        for (int i : claimants) {
            claims.add(new PostgresIdempotencyKeys.Claim(
                    items.get(i).idempotencyKey(), fingerprints[i].current(), UUID.fromString(specs[i].runId())));
        }
        return keys.claim(handle, claims).flatMap(won -> {
            List<Integer> toPublish = new ArrayList<>();
            boolean[] lost = new boolean[items.size()];
            for (int i = 0; i < items.size(); i++) {
                if (outcomes[i] != null || sameAs[i] >= 0) {
                    continue;
                }
                String key = items.get(i).idempotencyKey();
                if (key == null || won.contains(key)) {
                    toPublish.add(i);
                } else {
                    lost[i] = true;
                }
            }
            Mono<Void> published = admit(handle, items, outcomes, specs, toPublish, claims).flatMap(grant ->
                    publish(handle, items, requests, outcomes, specs, toPublish.subList(0, grant.granted()), now,
                            grant));
            return published.then(Mono.fromSupplier(() -> {
                List<Step> steps = new ArrayList<>(items.size());
                for (int i = 0; i < items.size(); i++) {
                    int first = sameAs[i] >= 0 ? sameAs[i] : i;
                    if (lost[first]) {
                        // The key's holder is another request: it answers, once its run is accepted.
                        steps.add(new Step(null, items.get(i).idempotencyKey(), fingerprints[i]));
                    } else if (sameAs[i] >= 0 && outcomes[first] instanceof Outcome.Accepted accepted) {
                        steps.add(new Step(new Outcome.Accepted(accepted.run(), true), null, null));
                    } else {
                        steps.add(new Step(outcomes[first], null, null));
                    }
                }
                return steps;
            }));
        });
    }

    /**
     * One item's fate after its group was accepted: {@code outcome}, or (when it is null) the answer of the request
     * holding {@code key} with {@code fingerprint}.
     */
    private record Step(Outcome outcome, String key, IdempotencyKeys.Fingerprint fingerprint) {}

    /** The item's outcome: the step's own, or the replay of its key's holder (waiting for it as {@link #replay} does). */
    private Mono<Outcome> finish(String handle, Step step) {
        if (step.outcome() != null) {
            return Mono.just(step.outcome());
        }
        return replay(handle, step.key(), step.fingerprint())
                .onErrorResume(ApiException.class, e -> Mono.just(new Outcome.Refused(e)));
    }

    /**
     * Reserves a daily write for each run at {@code indexes}; the first {@code granted} may be published, the others
     * are refused {@code quota_exceeded} and free their keys. When the reservation itself fails, every key of
     * {@code claims} is freed again before the error goes on, so a retry can take it.
     */
    private Mono<DailyWriteQuota.Grant> admit(
            String handle, List<Item> items, Outcome[] outcomes, RunSpec[] specs, List<Integer> indexes,
            List<PostgresIdempotencyKeys.Claim> claims) {
        return quota.reserve(handle, indexes.size())
                .onErrorResume(e -> keys.release(handle, claims).onErrorResume(ignored -> Mono.empty())
                        .then(Mono.error(e)))
                .flatMap(grant -> {
                    List<PostgresIdempotencyKeys.Claim> released = new ArrayList<>();
                    for (int i : indexes.subList(grant.granted(), indexes.size())) {
                        outcomes[i] = new Outcome.Refused(grant.refusal());
                        if (items.get(i).idempotencyKey() != null) {
                            released.add(new PostgresIdempotencyKeys.Claim(
                                    items.get(i).idempotencyKey(), null, UUID.fromString(specs[i].runId())));
                        }
                    }
                    return keys.release(handle, released).thenReturn(grant);
                });
    }

    /**
     * Publishes the runs at {@code indexes} and writes their PENDING rows; a run whose publish failed frees its key and
     * gives its daily write back to {@code grant}, one whose publish is {@link KafkaCommandPublisher#unconfirmed} keeps
     * both. No reader sees a run before it is durable in Kafka. A group of {@link #OVERLAPPED_ROWS_MIN_RUNS} runs or
     * more has its rows inserted while the commands travel, in transactions that commit only once Kafka has every one
     * of them ({@link PostgresRunRepository#insertPendingAllIf}; a gateway that dies first leaves no row, and the
     * projector writes it from the run's {@code RunAccepted}); when Kafka refused any, they roll back. A smaller group,
     * one whose transactions rolled back, or one that found {@link PostgresRunRepository#maxDecisionConnections()}
     * connections already waiting so, has the rows of its durable runs written after Kafka's answer, in one statement.
     */
    private Mono<Void> publish(
            String handle, List<Item> items, List<Span> requests, Outcome[] outcomes, RunSpec[] specs,
            List<Integer> indexes, Instant now, DailyWriteQuota.Grant grant) {
        if (indexes.isEmpty()) {
            return Mono.empty();
        }
        List<SubmitRun> submits = indexes.stream().map(i -> new SubmitRun(specs[i], now)).toList();
        List<Span> spans = indexes.stream()
                .map(i -> tracing.producer(requests.get(i), "gateway publish SubmitRun", specs[i].runId()))
                .toList();
        List<String> traceIds = spans.stream().map(KafkaTracing::traceId).toList();
        Mono<List<ApiException>> verdicts = commands.publishAll(submits, spans).cache();
        Mono<Boolean> allRowsDone = indexes.size() < OVERLAPPED_ROWS_MIN_RUNS ? Mono.just(false)
                : runs.insertPendingAllIf(indexes.stream().map(i -> specs[i]).toList(), traceIds, now,
                                verdicts.map(answers -> answers.stream().allMatch(Objects::isNull)))
                        .onErrorResume(e -> {
                            rowsNotWritten(indexes.size(), e);
                            return Mono.just(true);
                        });
        Mono<Void> published = Mono.zip(verdicts, allRowsDone).flatMap(answers -> {
            List<ApiException> verdict = answers.getT1();
            List<RunSpec> accepted = new ArrayList<>();
            List<String> acceptedTraceIds = new ArrayList<>();
            List<PostgresIdempotencyKeys.Claim> released = new ArrayList<>();
            int unconfirmed = 0;
            for (int j = 0; j < indexes.size(); j++) {
                int i = indexes.get(j);
                if (verdict.get(j) == null) {
                    accepted.add(specs[i]);
                    acceptedTraceIds.add(traceIds.get(j));
                    outcomes[i] = new Outcome.Accepted(RunRecord.pending(specs[i], now, traceIds.get(j)), false);
                } else if (KafkaCommandPublisher.isUnconfirmed(verdict.get(j))) {
                    // It may yet land: its key stays claimed (a retry replays the run once its row exists, and takes
                    // the key over once the claim is stale without one) and its daily write stays spent.
                    outcomes[i] = new Outcome.Refused(verdict.get(j));
                    unconfirmed++;
                } else {
                    outcomes[i] = new Outcome.Refused(verdict.get(j));
                    if (items.get(i).idempotencyKey() != null) {
                        released.add(new PostgresIdempotencyKeys.Claim(
                                items.get(i).idempotencyKey(), null, UUID.fromString(specs[i].runId())));
                    }
                }
            }
            Mono<Void> rows = answers.getT2() ? Mono.empty()
                    : runs.insertPendingAll(accepted, acceptedTraceIds, now).onErrorResume(e -> {
                        rowsNotWritten(accepted.size(), e);
                        return Mono.empty();
                    });
            int refused = indexes.size() - accepted.size() - unconfirmed;
            return Mono.when(rows, keys.release(handle, released), quota.giveBack(grant, refused));
        });
        // Lines logged about a group of one run carry its id; those about a larger group name how many runs.
        return indexes.size() == 1 ? published.contextWrite(RunIdLogging.about(specs[indexes.getFirst()].runId()))
                : published;
    }

    private static void rowsNotWritten(int runs, Throwable error) {
        log.warn("{} runs accepted but their PENDING rows were not written; the projector will", runs, error);
    }

    /**
     * The answer for a request that lost its key to an earlier one: that request's run once it is accepted, 422 when
     * the earlier request was another one, 409 when it is still being accepted after the wait.
     */
    private Mono<Outcome> replay(String handle, String key, IdempotencyKeys.Fingerprint fingerprint) {
        Instant deadline = clock.instant().plus(idempotency.inProgressWait());
        return Mono.defer(() -> keys.holder(handle, key).flatMap(holder -> {
                    if (!fingerprint.matches(holder.fingerprint())) {
                        return Mono.error(reused(key));
                    }
                    return holder.accepted()
                            ? runs.find(handle, holder.runId()).map(run -> (Outcome) new Outcome.Accepted(run, true))
                            : Mono.<Outcome>empty();
                }))
                .repeatWhenEmpty(attempts -> attempts.concatMap(attempt -> clock.instant().isBefore(deadline)
                        ? Mono.delay(HOLDER_POLL)
                        : Mono.error(ApiException.conflict("a request with idempotency key '" + key
                                + "' is in progress; retry shortly"))));
    }

    /** The spec of one valid request against its runtime, or the error a single submit answers. */
    private RunSpec prepare(String handle, Caller caller, SubmitRunRequest request, RuntimeRecord runtime, Instant now) {
        if (runtime == null) {
            throw ApiException.validation(new FieldViolation(
                    "runtime_key", "no runtime '" + request.runtimeKey() + "' in handle " + handle, "not_found"));
        }
        if (!runtime.definition().enabled()) {
            throw ApiException.conflict("runtime '" + runtime.key() + "' is disabled");
        }
        if (!runtime.acceptsRuns()) {
            throw new ApiException(HttpStatus.CONFLICT, "runtime_not_validated",
                    "runtime '" + runtime.key() + "' image validation is " + runtime.validation().status()
                            + "; POST .../validate-image first");
        }
        String runId = RunIds.next(now.toEpochMilli()).toString();
        Map<String, String> runtimeSecrets;
        try {
            runtimeSecrets = runtime.sealedSecrets() == null
                    ? Map.of() : keyRing.open(runtime.sealedSecrets(), runtime.secretsContext());
        } catch (SecretKeyRing.SealedSecretsException e) {
            // The message names the key id, never a value.
            log.error("runtime {}/{}: {}", handle, runtime.key(), e.getMessage());
            throw new ApiException(HttpStatus.INTERNAL_SERVER_ERROR, "internal", "the secrets of runtime '"
                    + runtime.key() + "' cannot be opened by this gateway (" + e.getMessage() + ")");
        }
        return switch (validator.toSpec(
                request, runId, handle, runtime.snapshot(), runtimeSecrets, runtime.definition().timeoutSeconds(),
                runtime.definition().maxTimeoutSeconds(), caller.subject(), now, keyRing)) {
            case RunRequestValidator.Result.Valid valid -> valid.spec();
            case RunRequestValidator.Result.Invalid invalid -> throw ApiException.validation(invalid.violations());
        };
    }

    private static ApiException reused(String key) {
        return new ApiException(HttpStatus.UNPROCESSABLE_CONTENT, "idempotency_key_reused",
                "idempotency key '" + key + "' was used with a different request");
    }
}
