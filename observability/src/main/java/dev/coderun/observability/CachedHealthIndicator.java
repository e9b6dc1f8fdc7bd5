package dev.coderun.observability;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * A dependency check run in the background every {@code interval}, so a health request only reads its last answer
 * and never waits on the dependency. A check that has not answered {@code timeout} after it began counts as DOWN
 * while it hangs; no second check of the same dependency starts until it returns. DOWN until the first answer.
 */
public final class CachedHealthIndicator implements HealthIndicator, DisposableBean {

    private final Callable<Health> probe;
    private final Duration timeout;
    private final ScheduledExecutorService ticker;
    private final AtomicBoolean checking = new AtomicBoolean();
    private volatile long checkStartedNanos;
    private volatile Health last = Health.down().withDetail("reason", "not checked yet").build();

    public CachedHealthIndicator(String name, Callable<Health> probe, Duration interval, Duration timeout) {
        this.probe = probe;
        this.timeout = timeout;
        this.ticker = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("health-" + name).daemon().factory());
        ticker.scheduleWithFixedDelay(this::tick, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void tick() {
        if (!checking.compareAndSet(false, true)) {
            long hungFor = System.nanoTime() - checkStartedNanos;
            if (hungFor > timeout.toNanos()) {
                last = Health.down().withDetail("reason", "no answer within " + timeout.toMillis() + " ms").build();
            }
            return;
        }
        checkStartedNanos = System.nanoTime();
        // Its own thread, so a check stuck in a blocking call leaves the ticker free to report the hang.
        Thread.ofVirtual().name("health-check").start(() -> {
            try {
                last = probe.call();
            } catch (Exception e) {
                last = Health.down().withDetail("reason", String.valueOf(e.getMessage())).build();
            } finally {
                checking.set(false);
            }
        });
    }

    @Override
    public Health health() {
        return last;
    }

    @Override
    public void destroy() {
        ticker.shutdownNow();
    }
}
