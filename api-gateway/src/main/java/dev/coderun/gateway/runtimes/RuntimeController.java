package dev.coderun.gateway.runtimes;

import dev.coderun.events.SecretKeyRing;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.Envelopes;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.limits.RequestLimits;
import dev.coderun.gateway.quota.DailyWriteQuota;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

/**
 * {@code /v2/handles/{handle}/code-runtimes}: register, read and validate runtimes. A runtime's {@code secrets} are
 * write-only: sealed before they are stored ({@link SecretKeyRing}), shown by name only. A {@code PUT} and a
 * {@code validate-image} that get past validation each count one of the handle's daily writes
 * ({@link DailyWriteQuota#charge}; given back when they fail).
 */
@RestController
class RuntimeController {

    private static final Logger log = LoggerFactory.getLogger(RuntimeController.class);


    private final PostgresRuntimeRepository runtimes;
    private final RegistryClient registry;
    private final RegistryProperties registryProperties;
    private final RequestLimits limits;
    private final RuntimeValidator validator;
    private final SecretKeyRing keyRing;
    private final DailyWriteQuota quota;
    private final Clock clock = Clock.systemUTC();

    RuntimeController(
            PostgresRuntimeRepository runtimes,
            RegistryClient registry,
            RegistryProperties registryProperties,
            RequestLimits limits,
            SecretKeyRing keyRing,
            DailyWriteQuota quota) {
        this.runtimes = runtimes;
        this.keyRing = keyRing;
        this.registry = registry;
        this.registryProperties = registryProperties;
        this.validator = new RuntimeValidator(limits);
        this.limits = limits;
        this.quota = quota;
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
        return quota.charge(handle, apply(handle, runtimeKey, wanted, request, ifMatch, true))
                .map(outcome -> ResponseEntity
                .status(outcome.kind() == RuntimeChange.Kind.CREATED ? HttpStatus.CREATED : HttpStatus.OK)
                .eTag(outcome.record().etag())
                .body(Envelopes.data(RuntimeView.of(outcome.record()))));
    }

    /** Reads, decides, writes; a lost race (someone else wrote first) is decided again once against the new state. */
    private Mono<RuntimeChange.Outcome> apply(
            String handle, String key, RuntimeDefinition valid, RuntimeRequest request, String ifMatch, boolean retry) {
        return runtimes.find(handle, key)
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty())
                .flatMap(current -> {
                    Secrets secrets = secrets(handle, key, valid, request, current.orElse(null));
                    RuntimeChange.Outcome outcome = RuntimeChange.decide(
                            handle, key, current.orElse(null), secrets.definition(), secrets.sealed(), ifMatch, now());
                    Mono<RuntimeRecord> written = switch (outcome.kind()) {
                        case CREATED -> runtimes.insert(outcome.record());
                        case UPDATED -> runtimes.update(outcome.record(), current.orElseThrow().version());
                        case UNCHANGED -> Mono.just(outcome.record());
                    };
                    return written.map(r -> outcome).switchIfEmpty(Mono.defer(() -> retry
                            ? apply(handle, key, valid, request, ifMatch, false)
                            : Mono.error(ApiException.conflict("runtime '" + key + "' is being changed concurrently"))));
                });
    }

    /** The definition a PUT wants, its secrets fingerprinted, and those secrets sealed. */
    private record Secrets(RuntimeDefinition definition, String sealed) {}

    /**
     * The secrets a PUT leaves the runtime with: the request's, or the current ones when it has none ({@code secrets}
     * left out), checked against the request's env. Secrets equal to the current ones keep their fingerprint and sealed
     * value, so an identical PUT is identical to the stored definition; others are fingerprinted and sealed anew.
     */
    private Secrets secrets(
            String handle, String key, RuntimeDefinition valid, RuntimeRequest request, RuntimeRecord current) {
        String context = RuntimeRecord.secretsContext(handle, key);
        boolean kept = request.secrets() == null;
        Map<String, String> secrets;
        if (!kept) {
            secrets = request.secrets();
        } else if (current == null || current.sealedSecrets() == null) {
            secrets = Map.of();
        } else {
            secrets = keyRing.open(current.sealedSecrets(), context);
            List<FieldViolation> errors = new ArrayList<>();
            RuntimeValidator.checkSecrets("secrets", secrets, valid.env(), limits, errors);
            if (!errors.isEmpty()) {
                // Reported on the field the client sent: its env meets the secrets it left out (and so kept).
                throw ApiException.validation(errors.stream().map(v -> new FieldViolation(
                        v.field(), v.message() + " (the runtime's current secrets, kept as secrets was left out)",
                        v.type())).toList());
            }
        }
        if (secrets.isEmpty()) {
            return new Secrets(valid.withSecrets(List.of(), null), null);
        }
        String stored = current == null ? null : current.definition().secretsFingerprint();
        if (stored != null && keyRing.matches(stored, secrets, context)) {
            return new Secrets(valid.withSecrets(secrets.keySet(), stored), current.sealedSecrets());
        }
        return new Secrets(valid.withSecrets(secrets.keySet(), keyRing.fingerprint(secrets, context)),
                keyRing.seal(secrets, context));
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
        return quota.charge(handle, runtimes.find(handle, runtimeKey)
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
                                            runtime.updatedAt(), runtime.sealedSecrets()))))));
                }));
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
