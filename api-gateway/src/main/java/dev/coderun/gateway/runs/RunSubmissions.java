package dev.coderun.gateway.runs;

import dev.coderun.events.RunSpec;
import dev.coderun.events.SubmitRun;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.auth.Caller;
import dev.coderun.gateway.limits.RequestLimits;
import dev.coderun.gateway.runtimes.PostgresRuntimeRepository;
import dev.coderun.gateway.runtimes.RuntimeRecord;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The submit path, in one pass: check the request's shape, resolve the runtime it names, build the {@link RunSpec},
 * publish {@link SubmitRun} (durable in Kafka before anything else), then write the PENDING row. Every route that
 * creates a run goes through here.
 */
@Component
public class RunSubmissions {

    private static final Logger log = LoggerFactory.getLogger(RunSubmissions.class);

    private final PostgresRuntimeRepository runtimes;
    private final PostgresRunRepository runs;
    private final KafkaCommandPublisher commands;
    private final RunRequestValidator validator;
    private final Clock clock = Clock.systemUTC();

    RunSubmissions(
            PostgresRuntimeRepository runtimes,
            PostgresRunRepository runs,
            KafkaCommandPublisher commands,
            RequestLimits limits) {
        this.runtimes = runtimes;
        this.runs = runs;
        this.commands = commands;
        this.validator = new RunRequestValidator(limits);
    }

    /** Accepts one run for {@code handle} on behalf of {@code caller}; the caller's access is already checked. */
    public Mono<RunRecord> submit(String handle, Caller caller, SubmitRunRequest request) {
        List<FieldViolation> shape = validator.checkShape(request);
        if (!shape.isEmpty()) {
            return Mono.error(ApiException.validation(shape));
        }
        return runtimes.find(handle, request.runtimeKey())
                .switchIfEmpty(Mono.error(() -> ApiException.validation(new FieldViolation(
                        "runtime_key", "no runtime '" + request.runtimeKey() + "' in handle " + handle, "not_found"))))
                .flatMap(runtime -> accept(handle, caller, request, runtime));
    }

    private Mono<RunRecord> accept(String handle, Caller caller, SubmitRunRequest request, RuntimeRecord runtime) {
        if (!runtime.definition().enabled()) {
            return Mono.error(ApiException.conflict("runtime '" + runtime.key() + "' is disabled"));
        }
        if (!runtime.acceptsRuns()) {
            return Mono.error(new ApiException(HttpStatus.CONFLICT, "runtime_not_validated",
                    "runtime '" + runtime.key() + "' image validation is " + runtime.validation().status()
                            + "; POST .../validate-image first"));
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        String runId = RunIds.next(now.toEpochMilli()).toString();
        RunSpec spec = switch (validator.toSpec(
                request, runId, handle, runtime.snapshot(), runtime.definition().timeoutSeconds(),
                runtime.definition().maxTimeoutSeconds(), caller.subject(), now)) {
            case RunRequestValidator.Result.Valid valid -> valid.spec();
            case RunRequestValidator.Result.Invalid invalid ->
                throw ApiException.validation(invalid.violations());
        };
        // Durable in Kafka first: from then on the run exists, whatever happens to this request.
        return commands.publish(new SubmitRun(spec, now))
                .then(runs.insertPending(spec, now).onErrorResume(e -> {
                    log.warn("run {} accepted but its PENDING row was not written; the projector will", runId, e);
                    return Mono.empty();
                }))
                .then(Mono.fromSupplier(() -> RunRecord.pending(spec, now)));
    }
}
