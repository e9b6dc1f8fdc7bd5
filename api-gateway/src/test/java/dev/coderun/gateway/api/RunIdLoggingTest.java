package dev.coderun.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * A line logged while a request about one run is handled carries the run's id ({@code run_id}), also on another
 * thread: from the start for a route naming the run, from when it is known for a route creating one, and in the
 * error handler's line. Lines of other routes carry none.
 */
class RunIdLoggingTest {

    private static final String RUN = "019a1b2c-3d4e-7f00-8a00-000000000001";

    private final Logger work = (Logger) LoggerFactory.getLogger(Work.class);
    private final Logger errors = (Logger) LoggerFactory.getLogger(ApiErrorHandler.class);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final WebTestClient client =
            WebTestClient.bindToController(new Work()).webFilter(new RequestIds(), new RunIdLogging()).build();

    @BeforeEach
    void capture() {
        RequestIdLogging.install();
        lines.start();
        work.addAppender(lines);
        errors.addAppender(lines);
    }

    @AfterEach
    void release() {
        work.detachAppender(lines);
        errors.detachAppender(lines);
    }

    @Test
    void everyLineOfARouteNamingARunCarriesItsIdAlsoOnAnotherThread() {
        client.get().uri("/v2/handles/alice/code-runs/" + RUN).header(RequestIds.HEADER, "req-run-1").exchange()
                .expectStatus().isOk();
        client.post().uri("/v2/handles/alice/code-runs/" + RUN.toUpperCase() + "/cancel").exchange()
                .expectStatus().isOk();

        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "before the hop", "on another thread", "after the hop", "cancelling");
        assertThat(lines.list).allSatisfy(line ->
                assertThat(line.getMDCPropertyMap()).containsEntry(RunIdLogging.KEY, RUN));
        assertThat(lines.list.get(0).getMDCPropertyMap()).containsEntry(RequestIdLogging.KEY, "req-run-1");
        assertThat(lines.list.get(1).getThreadName()).startsWith("boundedElastic");
        assertThat(MDC.get(RunIdLogging.KEY)).isNull();
    }

    @Test
    void aRouteCreatingARunLogsItsIdFromWhenItIsKnown() {
        client.post().uri("/v2/handles/alice/code-runs").exchange().expectStatus().isOk();

        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
                .containsExactly("checking the request", "publishing");
        assertThat(lines.list.get(0).getMDCPropertyMap()).doesNotContainKey(RunIdLogging.KEY);
        assertThat(lines.list.get(1).getMDCPropertyMap()).containsEntry(RunIdLogging.KEY, RUN);
        assertThat(lines.list.get(1).getThreadName()).startsWith("boundedElastic");
    }

    @Test
    void pathsNamingNoRunLogNoRunId() {
        for (String path : List.of("/v2/handles/alice/code-runs/batch", "/v2/handles/alice/code-runs/1-1-1-1-1",
                "/v2/handles/alice/code-runs/events", "/v2/handles/alice/code-runtimes/" + RUN)) {
            assertThat(RunIdLogging.runIdIn(path)).as(path).isNull();
        }
        assertThat(RunIdLogging.runIdIn("/v2/handles/alice/code-runs/" + RUN + "/output")).isEqualTo(RUN);

        client.get().uri("/v2/handles/alice/code-runs/not-a-run").exchange().expectStatus().isOk();

        assertThat(lines.list).isNotEmpty().allSatisfy(line ->
                assertThat(line.getMDCPropertyMap()).doesNotContainKey(RunIdLogging.KEY));
    }

    @Test
    void theErrorHandlersLineAboutARunCarriesItsId() {
        MockServerWebExchange exchange =
                MockServerWebExchange.from(MockServerHttpRequest.get("/v2/handles/alice/code-runs/" + RUN).build());
        ApiErrorHandler handler = new ApiErrorHandler(JsonMapper.builder().build());

        new RunIdLogging().filter(exchange, ex -> Mono.error(new IllegalStateException("boom")))
                .onErrorResume(failure -> handler.handle(exchange, failure))
                .block();

        assertThat(exchange.getResponse().getStatusCode().value()).isEqualTo(500);
        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
                .anySatisfy(message -> assertThat(message).startsWith("internal error"));
        assertThat(lines.list).allSatisfy(line ->
                assertThat(line.getMDCPropertyMap()).containsEntry(RunIdLogging.KEY, RUN));
        assertThat(MDC.get(RunIdLogging.KEY)).isNull();
    }

    @RestController
    static class Work {
        private static final org.slf4j.Logger log = LoggerFactory.getLogger(Work.class);

        @GetMapping("/v2/handles/{handle}/code-runs/{runId}")
        Mono<Map<String, String>> read(@PathVariable String runId) {
            return RequestIdLoggingTest.Work.hopping(log);
        }

        @PostMapping("/v2/handles/{handle}/code-runs/{runId}/cancel")
        Mono<Map<String, String>> cancel() {
            return Mono.fromCallable(() -> {
                log.info("cancelling");
                return Map.of();
            });
        }

        /** Like a submit: the run's id is known once the request was checked. */
        @PostMapping("/v2/handles/{handle}/code-runs")
        Mono<Map<String, String>> submit() {
            return Mono.fromCallable(() -> {
                        log.info("checking the request");
                        return RUN;
                    })
                    .flatMap(runId -> Mono.fromCallable(() -> {
                                log.info("publishing");
                                return Map.of("id", runId);
                            })
                            .subscribeOn(Schedulers.boundedElastic())
                            .contextWrite(RunIdLogging.about(runId)));
        }
    }
}
