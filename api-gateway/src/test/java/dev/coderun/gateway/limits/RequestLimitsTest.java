package dev.coderun.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.events.Topics;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestLimitsTest {

    @Test
    void aBodyLimitAboveTheContractsRunRequestBoundRefusesToStart() {
        assertThatThrownBy(() -> withBodyLimit(Topics.MAX_RUN_REQUEST_BYTES + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("coderun.limits.max-run-request-bytes")
                .hasMessageContaining(String.valueOf(Topics.MAX_RUN_REQUEST_BYTES));
    }

    @Test
    void aBodyLimitUpToTheContractsBoundIsKept() {
        assertThat(withBodyLimit(Topics.MAX_RUN_REQUEST_BYTES).maxRunRequestBytes())
                .isEqualTo(Topics.MAX_RUN_REQUEST_BYTES);
        assertThat(withBodyLimit(512 * 1024).maxRunRequestBytes()).isEqualTo(512 * 1024);
    }

    private static RequestLimits withBodyLimit(int bytes) {
        return RequestLimits.of(Map.of("max-run-request-bytes", String.valueOf(bytes)));
    }
}
