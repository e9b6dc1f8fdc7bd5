package dev.coderun.gateway.runtimes;

import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.Envelopes;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.limits.RequestLimits;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** {@code /v2/handles/{handle}/code-runtimes}: register, read and validate runtimes. */
@RestController
class RuntimeController {

    private static final Logger log = LoggerFactory.getLogger(RuntimeController.class);


    private final PostgresRuntimeRepository runtimes;
    private final RegistryClient registry;
    private final RegistryProperties registryProperties;
    private final RequestLimits limits;
    private final RuntimeValidator validator;
    private final Clock clock = Clock.systemUTC();

    RuntimeController(
            PostgresRuntimeRepository runtimes,
            RegistryClient registry,
            RegistryProperties registryProperties,
            RequestLimits limits) {
        this.runtimes = runtimes;
        this.registry = registry;
        this.registryProperties = registryProperties;
        this.validator = new RuntimeValidator(limits);
        this.limits = limits;
    }

    @PutMapping("/v2/handles/{handle}/code-runtimes/{runtimeKey}")
    Mono<ResponseEntity<Envelopes.Data<RuntimeView>>> put(
            @PathVariable String handle,
            @PathVariable String runtimeKey,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) String ifMatch,
            @RequestBody RuntimeRequest request) {
        RuntimeDefinition wanted = switch (validator.validate(runtimeKey, request)) {
            case RuntimeValidator.Result.Valid valid -> valid.definition();
            case RuntimeValidator.Result.Invalid invalid -> throw ApiException.validation(invalid.violations());
        };
        return apply(handle, runtimeKey, wanted, ifMatch, true).map(outcome -> ResponseEntity
                .status(outcome.kind() == RuntimeChange.Kind.CREATED ? HttpStatus.CREATED : HttpStatus.OK)
                .eTag(outcome.record().etag())
                .body(Envelopes.data(RuntimeView.of(outcome.record()))));
    }

    /** Reads, decides, writes; a lost race (someone else wrote first) is decided again once against the new state. */
    private Mono<RuntimeChange.Outcome> apply(
            String handle, String key, RuntimeDefinition wanted, String ifMatch, boolean retry) {
        return runtimes.find(handle, key)
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty())
                .flatMap(current -> {
                    RuntimeChange.Outcome outcome = RuntimeChange.decide(
                            handle, key, current.orElse(null), wanted, ifMatch, now());
                    Mono<RuntimeRecord> written = switch (outcome.kind()) {
                        case CREATED -> runtimes.insert(outcome.record());
                        case UPDATED -> runtimes.update(outcome.record(), current.orElseThrow().version());
                        case UNCHANGED -> Mono.just(outcome.record());
                    };
                    return written.map(r -> outcome).switchIfEmpty(Mono.defer(() -> retry
                            ? apply(handle, key, wanted, ifMatch, false)
                            : Mono.error(ApiException.conflict("runtime '" + key + "' is being changed concurrently"))));
                });
    }

    @GetMapping("/v2/handles/{handle}/code-runtimes/{runtimeKey}")
    Mono<ResponseEntity<Envelopes.Data<RuntimeView>>> get(@PathVariable String handle, @PathVariable String runtimeKey) {
        return runtimes.find(handle, runtimeKey)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("runtime '" + runtimeKey + "' not found")))
                .map(r -> ResponseEntity.ok().eTag(r.etag()).body(Envelopes.data(RuntimeView.of(r))));
    }

    @GetMapping("/v2/handles/{handle}/code-runtimes")
    Mono<Envelopes.Page<RuntimeView>> list(
            @PathVariable String handle,
            @RequestParam(name = "limit", defaultValue = "100") int limit,
            @RequestParam(name = "cursor", required = false) String cursor) {
        if (limit < 1 || limit > limits.maxPageSize()) {
            throw ApiException.validation(
                    FieldViolation.outOfRange("limit", "must be between 1 and " + limits.maxPageSize()));
        }
        return runtimes.list(handle, cursor, limit + 1).collectList().map(page -> {
            boolean more = page.size() > limit;
            List<RuntimeRecord> shown = more ? page.subList(0, limit) : page;
            return new Envelopes.Page<>(
                    shown.stream().map(RuntimeView::of).toList(), more ? shown.getLast().key() : null);
        });
    }

    @PostMapping("/v2/handles/{handle}/code-runtimes/{runtimeKey}/validate-image")
    Mono<ResponseEntity<Envelopes.Data<RuntimeView>>> validateImage(
            @PathVariable String handle, @PathVariable String runtimeKey) {
        return runtimes.find(handle, runtimeKey)
                .switchIfEmpty(Mono.error(() -> ApiException.notFound("runtime '" + runtimeKey + "' not found")))
                .flatMap(runtime -> {
                    ImageValidation validating = new ImageValidation(
                            ImageValidation.Status.VALIDATING, null, runtime.definition().imageDigest(), null, now());
                    // The check runs to completion and is saved even when the client stops waiting for it.
                    Mono<RuntimeRecord> checked = runtimes
                            .saveValidation(handle, runtimeKey, runtime.version(), validating)
                            .then(registry.validate(runtime.definition().imageUri(), runtime.definition().imageDigest()))
                            .flatMap(result -> runtimes.saveValidation(handle, runtimeKey, runtime.version(), result))
                            .then(runtimes.find(handle, runtimeKey))
                            .cache();
                    checked.subscribe(r -> {}, e -> log.error("validating the image of runtime {}/{} failed",
                            handle, runtimeKey, e));
                    return checked
                            .timeout(registryProperties.requestBudget())
                            .map(r -> ResponseEntity.ok().eTag(r.etag()).body(Envelopes.data(RuntimeView.of(r))))
                            .onErrorResume(TimeoutException.class, e -> Mono.just(ResponseEntity
                                    .status(HttpStatus.ACCEPTED)
                                    .eTag(runtime.etag())
                                    .body(Envelopes.data(RuntimeView.of(new RuntimeRecord(
                                            runtime.handle(), runtime.key(), runtime.id(), runtime.definition(),
                                            runtime.version(), validating, runtime.createdAt(),
                                            runtime.updatedAt()))))));
                });
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
