package dev.coderun.scheduler;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * What the scheduler measures and checks for operators ({@code coderun.observability.*}).
 *
 * @param busiestHandles how many of the busiest handles (most active plus queued runs) get per-handle gauges
 *     ({@code coderun.handle.runs.active}, {@code coderun.handle.runs.queued}); 0 turns them off. Bounded so the number
 *     of series does not grow with the number of handles
 * @param groupLagInterval how often the lag of every coderun consumer, share and streams group is read from Kafka
 * @param healthInterval how often Kafka is checked for the readiness probe; a probe answers the last check
 * @param healthTimeout how long one check may take before Kafka counts as DOWN
 */
@ConfigurationProperties("coderun.observability")
public record ObservabilityProperties(
        @DefaultValue("10") int busiestHandles,
        @DefaultValue("15s") Duration groupLagInterval,
        @DefaultValue("5s") Duration healthInterval,
        @DefaultValue("2s") Duration healthTimeout) {

    public ObservabilityProperties {
        if (busiestHandles < 0) {
            throw new IllegalArgumentException("coderun.observability.busiest-handles must not be negative");
        }
    }
}
