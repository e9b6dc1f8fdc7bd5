package dev.coderun.gateway.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.gateway.GatewayFixtures;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;

/** The batch route reads its own body, up to the batch limit, which is far above the single-run body limit. */
class BatchBodyLimitTest {

    private static MockServerWebExchange post(String body) {
        return MockServerWebExchange.from(MockServerHttpRequest.post("/v2/handles/h/code-runs/batch")
                .contentType(MediaType.APPLICATION_JSON)
                .body(body));
    }

    @Test
    void aBatchBodyLargerThanOneRunRequestIsRead() {
        int overOneRun = GatewayFixtures.defaultLimits().maxRunRequestBytes() + 1024;
        String body = "x".repeat(overOneRun);

        byte[] read = RunBatchController.body(post(body), GatewayFixtures.defaultLimits().maxBatchRequestBytes()).block();

        assertThat(new String(read, StandardCharsets.UTF_8)).isEqualTo(body);
    }

    @Test
    void aBodyOverTheBatchLimitIsRefusedAsTooLarge() {
        assertThatThrownBy(() -> RunBatchController.body(post("x".repeat(4097)), 4096).block())
                .isInstanceOf(DataBufferLimitException.class);
    }
}
