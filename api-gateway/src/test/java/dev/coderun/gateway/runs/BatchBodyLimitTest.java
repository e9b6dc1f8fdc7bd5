package dev.coderun.gateway.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.gateway.GatewayFixtures;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import reactor.core.publisher.Mono;

/** The batch route reads its own body, up to the batch limit, which is far above the single-run body limit. */
class BatchBodyLimitTest {

    private static Mono<byte[]> read(String body, int max) {
        var request = MockServerHttpRequest.post("/v2/handles/h/code-runs/batch")
                .contentType(MediaType.APPLICATION_JSON)
                .body(body);
        return RunBatchController.body(request.getBody(), MediaType.APPLICATION_JSON, max);
    }

    @Test
    void aBatchBodyLargerThanOneRunRequestIsRead() {
        int overOneRun = GatewayFixtures.defaultLimits().maxRunRequestBytes() + 1024;
        String body = "x".repeat(overOneRun);

        byte[] read = read(body, GatewayFixtures.defaultLimits().maxBatchRequestBytes()).block();

        assertThat(new String(read, StandardCharsets.UTF_8)).isEqualTo(body);
    }

    @Test
    void aBodyOverTheBatchLimitIsRefusedAsTooLarge() {
        assertThatThrownBy(() -> read("x".repeat(4097), 4096).block())
                .isInstanceOf(DataBufferLimitException.class);
    }
}
