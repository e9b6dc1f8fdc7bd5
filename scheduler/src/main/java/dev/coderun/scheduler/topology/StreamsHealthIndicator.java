package dev.coderun.scheduler.topology;

import org.apache.kafka.streams.KafkaStreams;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Health {@code streams}, in the readiness group: UP while the scheduler's streams run or rebalance, DOWN before they
 * start, after they failed or while they shut down. Reads the client's state only, so it answers at once.
 */
@Component("streamsHealthIndicator")
class StreamsHealthIndicator implements HealthIndicator {

    private final SchedulerStreams streams;

    StreamsHealthIndicator(SchedulerStreams streams) {
        this.streams = streams;
    }

    @Override
    public Health health() {
        KafkaStreams.State state = streams.state();
        return (state.isRunningOrRebalancing() ? Health.up() : Health.down()).withDetail("state", state.name()).build();
    }
}
