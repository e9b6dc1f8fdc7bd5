package dev.coderun.gateway.runtimes;

import dev.coderun.events.SecretKeyRing;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Key rotation for stored secrets: once the gateway is up, every runtime whose secrets are sealed under another key
 * than the ring's current one is sealed again under the current key (and fingerprinted under it), in pages, until
 * none is left. So after {@code coderun.secrets.current-key} names a new key, one gateway start moves every runtime
 * to it, and the old key can leave the ring once the runs sealed under it have ended. A runtime changed meanwhile is
 * left to the PUT that changed it (which sealed under the current key). Gateways starting together may both reseal a
 * row: each writes the same secrets, so either result is right. A runtime whose secrets do not open (its key already
 * left the ring) is logged by name and left as it is.
 */
@Component
class RuntimeSecretsRewrap {

    private static final Logger log = LoggerFactory.getLogger(RuntimeSecretsRewrap.class);
    private static final int PAGE = 100;

    private final PostgresRuntimeRepository runtimes;
    private final SecretKeyRing keyRing;

    RuntimeSecretsRewrap(PostgresRuntimeRepository runtimes, SecretKeyRing keyRing) {
        this.runtimes = runtimes;
        this.keyRing = keyRing;
    }

    @EventListener(ApplicationReadyEvent.class)
    void onStart() {
        rewrapAll().subscribe(
                count -> {
                    if (count > 0) {
                        log.info("sealed the secrets of {} runtimes again under key '{}'", count,
                                keyRing.currentKeyId());
                    }
                },
                error -> log.error("sealing runtime secrets under key '{}' failed; the next start tries again",
                        keyRing.currentKeyId(), error));
    }

    /** Reseals every runtime not under the current key; answers how many were resealed. */
    Mono<Long> rewrapAll() {
        return page(0L);
    }

    private Mono<Long> page(long done) {
        return runtimes.sealedUnderOtherKeys(keyRing.currentKeyId(), PAGE)
                .collectList()
                .flatMap(found -> Flux.fromIterable(found)
                        .concatMap(this::rewrap)
                        .reduce(0L, (count, resealed) -> resealed ? count + 1 : count)
                        // A page whose rows all failed to open would come back forever: stop there.
                        .flatMap(count -> found.size() < PAGE || count == 0
                                ? Mono.just(done + count) : page(done + count)));
    }

    private Mono<Boolean> rewrap(RuntimeRecord runtime) {
        Map<String, String> secrets;
        try {
            secrets = keyRing.open(runtime.sealedSecrets(), runtime.secretsContext());
        } catch (SecretKeyRing.SealedSecretsException e) {
            log.error("the secrets of runtime {}/{} cannot be sealed again: {}", runtime.handle(), runtime.key(),
                    e.getMessage());
            return Mono.just(false);
        }
        String context = runtime.secretsContext();
        return runtimes.reseal(runtime, keyRing.seal(secrets, context), keyRing.fingerprint(secrets, context));
    }
}
