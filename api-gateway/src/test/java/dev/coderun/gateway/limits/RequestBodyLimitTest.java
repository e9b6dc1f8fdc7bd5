package dev.coderun.gateway.limits;

import dev.coderun.gateway.api.ApiErrorHandler;
import dev.coderun.gateway.api.RequestIds;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.MockServerConfigurer;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;
import reactor.core.publisher.Mono;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/** A body over the limit, as WebFlux decodes it with the gateway's codec limit and error handler: 413, never 500. */
class RequestBodyLimitTest {

    private static final int LIMIT = 4096;

    private final WebTestClient client = WebTestClient.bindToController(new Echo())
            .httpMessageCodecs(codecs -> new SizeBounds.BodyLimit(LIMIT).customize(codecs))
            .webFilter(new RequestIds())
            .apply(new MockServerConfigurer() {
                @Override
                public void beforeServerCreated(WebHttpHandlerBuilder builder) {
                    builder.exceptionHandlers(handlers -> handlers.addFirst(new ApiErrorHandler(JsonMapper.builder()
                            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                            .build())));
                }
            })
            .build();

    @Test
    void aBodyOverTheLimitIsPayloadTooLargeInTheEnvelope() {
        client.post().uri("/echo").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("stdin", "x".repeat(LIMIT)))
                .exchange()
                .expectStatus().isEqualTo(413)
                .expectHeader().exists(RequestIds.HEADER)
                .expectBody()
                .jsonPath("$.error.code").isEqualTo("payload_too_large")
                .jsonPath("$.error.request_id").exists();
    }

    @Test
    void aBodyWithinTheLimitIsRead() {
        client.post().uri("/echo").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("stdin", "x".repeat(LIMIT / 2)))
                .exchange()
                .expectStatus().isOk();
    }

    @RestController
    static class Echo {
        @PostMapping("/echo")
        Mono<Map<String, Object>> echo(@RequestBody Map<String, Object> body) {
            return Mono.just(Map.of("size", body.toString().length()));
        }
    }
}
