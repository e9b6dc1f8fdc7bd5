package dev.coderun.gateway.api;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.test.web.reactive.server.MockServerConfigurer;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.adapter.WebHttpHandlerBuilder;
import java.net.URI;
import reactor.core.publisher.Mono;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/** A NUL byte in a path segment or a query parameter never reaches a handler (nor a query). */
class RequestTextGuardTest {

    private final WebTestClient client = WebTestClient.bindToController(new Things())
            .webFilter(new RequestIds(), new RequestTextGuard())
            .apply(new MockServerConfigurer() {
                @Override
                public void beforeServerCreated(WebHttpHandlerBuilder builder) {
                    builder.exceptionHandlers(handlers -> handlers.addFirst(
                            new ApiErrorHandler(JsonMapper.builder()
                            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build())));
                }
            })
            .build();

    @Test
    void aNulInAPathSegmentIsNotFound() {
        client.get().uri(URI.create("/things/busy%00box")).exchange()
                .expectStatus().isNotFound()
                .expectHeader().exists(RequestIds.HEADER)
                .expectBody()
                .jsonPath("$.error.code").isEqualTo("not_found")
                .jsonPath("$.error.request_id").exists();
    }

    @Test
    void aNulInAQueryParameterIsAValidationFailureNamingIt() {
        client.get().uri(URI.create("/things/a?runtime_key=x%00")).exchange()
                .expectStatus().isEqualTo(422)
                .expectBody()
                .jsonPath("$.error.code").isEqualTo("validation_failed")
                .jsonPath("$.error.details[0].field").isEqualTo("runtime_key")
                .jsonPath("$.error.details[0].message").value(m -> org.assertj.core.api.Assertions
                        .assertThat(m.toString()).contains("NUL"));
    }

    @Test
    void ordinaryEscapesPass() {
        client.get().uri(URI.create("/things/caf%C3%A9?runtime_key=a%20b")).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.id").isEqualTo("café").jsonPath("$.key").isEqualTo("a b");
    }

    @RestController
    static class Things {
        @GetMapping("/things/{id}")
        Mono<Map<String, String>> get(@PathVariable String id,
                @RequestParam(name = "runtime_key", required = false) String key) {
            return Mono.just(Map.of("id", id, "key", String.valueOf(key)));
        }
    }
}
