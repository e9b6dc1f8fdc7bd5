package dev.coderun.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.events.Topics;
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
        return new RequestLimits(3600, 1048576, 16777216, 1048576, 128, 32768, 1024, 64, 65536, 5, bytes);
    }
}
