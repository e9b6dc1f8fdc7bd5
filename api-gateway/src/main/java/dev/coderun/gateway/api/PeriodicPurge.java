package dev.coderun.gateway.api;

import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A housekeeping delete run every {@code interval} from its start, one at a time: what it deleted is logged when it is
 * anything, and a failure is logged and left to the next round (every gateway runs its own; deleting twice is
 * harmless). Stopped by {@link #close}.
 */
public final class PeriodicPurge implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeriodicPurge.class);

    private final Disposable schedule;

    private PeriodicPurge(Disposable schedule) {
        this.schedule = schedule;
    }

    /**
     * @param what what the purge deletes, for the log ("expired idempotency keys")
     * @param purge one round: how many rows it deleted
     */
    public static PeriodicPurge every(Duration interval, String what, Supplier<Mono<? extends Number>> purge) {
        return new PeriodicPurge(Flux.interval(interval, interval)
                .concatMap(tick -> Mono.defer(purge)
                        .doOnNext(purged -> {
                            if (purged.longValue() > 0) {
                                log.info("purged {} {}", purged, what);
                            }
                        })
                        .onErrorResume(e -> {
                            log.warn("purging {} failed; next try in {}: {}", what, interval, e.toString());
                            return Mono.empty();
                        }))
                .subscribe());
    }

    @Override
    public void close() {
        schedule.dispose();
    }
}
