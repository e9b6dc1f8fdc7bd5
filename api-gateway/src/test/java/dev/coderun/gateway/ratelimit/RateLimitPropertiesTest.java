package dev.coderun.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

class RateLimitPropertiesTest {

    @Test
    void everyClassHasItsDocumentedDefault() {
        RateLimitProperties properties = bind(Map.of());

        assertThat(properties.enabled()).isTrue();
        assertThat(properties.of(RouteClass.READS)).isEqualTo(new RateLimitProperties.Limit(2000L, 1000.0));
        assertThat(properties.of(RouteClass.WRITES)).isEqualTo(new RateLimitProperties.Limit(2000L, 1000.0));
        assertThat(properties.of(RouteClass.EXEC)).isEqualTo(new RateLimitProperties.Limit(200L, 50.0));
        assertThat(properties.of(RouteClass.STREAMS)).isEqualTo(new RateLimitProperties.Limit(1000L, 100.0));
    }

    @Test
    void settingOneValueOfAClassKeepsTheOtherDefault() {
        RateLimitProperties properties = bind(Map.of("reads.capacity", "3", "exec.refill-per-second", "7"));

        assertThat(properties.of(RouteClass.READS)).isEqualTo(new RateLimitProperties.Limit(3L, 1000.0));
        assertThat(properties.of(RouteClass.EXEC)).isEqualTo(new RateLimitProperties.Limit(200L, 7.0));
    }

    @Test
    void aRefillMayBeAFractionOfARequestPerSecond() {
        assertThat(bind(Map.of("streams.refill-per-second", "0.5")).of(RouteClass.STREAMS).refillPerSecond())
                .isEqualTo(0.5);
        assertThatThrownBy(() -> bind(Map.of("streams.refill-per-second", "0.0001")))
                .rootCause().hasMessageContaining("at least 0.001");
    }

    @Test
    void aBucketThatCouldNeverAllowARequestRefusesToStart() {
        assertThatThrownBy(() -> bind(Map.of("streams.capacity", "0")))
                .rootCause().hasMessageContaining("coderun.rate-limits.streams");
        assertThatThrownBy(() -> bind(Map.of("writes.refill-per-second", "0")))
                .rootCause().hasMessageContaining("coderun.rate-limits.writes");
    }

    private static RateLimitProperties bind(Map<String, String> settings) {
        Map<String, String> prefixed = new HashMap<>();
        settings.forEach((name, value) -> prefixed.put("coderun.rate-limits." + name, value));
        return new Binder(new MapConfigurationPropertySource(prefixed))
                .bindOrCreate("coderun.rate-limits", RateLimitProperties.class);
    }
}
