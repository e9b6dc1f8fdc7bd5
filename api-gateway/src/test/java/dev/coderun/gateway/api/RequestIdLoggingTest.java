package dev.coderun.gateway.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** A line logged while a request is handled carries its request id, also when the work ran on another thread. */
class RequestIdLoggingTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger(Work.class);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void capture() {
        RequestIdLogging.install();
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void release() {
        logger.detachAppender(lines);
    }

    @Test
    void aLineLoggedOnAnotherThreadCarriesTheRequestId() {
        WebTestClient client = WebTestClient.bindToController(new Work()).webFilter(new RequestIds()).build();

        String requestId = client.get().uri("/work").header(RequestIds.HEADER, "req-logging-1").exchange()
                .expectStatus().isOk()
                .returnResult(String.class).getResponseHeaders().getFirst(RequestIds.HEADER);

        assertThat(requestId).isEqualTo("req-logging-1");
        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
                .containsExactly("before the hop", "on another thread", "after the hop");
        assertThat(lines.list).allSatisfy(line ->
                assertThat(line.getMDCPropertyMap()).containsEntry(RequestIdLogging.KEY, "req-logging-1"));
        assertThat(lines.list.get(1).getThreadName()).startsWith("boundedElastic");
    }

    @Test
    void eachRequestLogsItsOwnIdAndNoneLeaksOutside() {
        WebTestClient client = WebTestClient.bindToController(new Work()).webFilter(new RequestIds()).build();

        client.get().uri("/work").header(RequestIds.HEADER, "req-a").exchange().expectStatus().isOk();
        client.get().uri("/work").header(RequestIds.HEADER, "req-b").exchange().expectStatus().isOk();

        assertThat(lines.list).extracting(line -> line.getMDCPropertyMap().get(RequestIdLogging.KEY))
                .containsExactly("req-a", "req-a", "req-a", "req-b", "req-b", "req-b");
        assertThat(org.slf4j.MDC.get(RequestIdLogging.KEY)).isNull();
    }

    @RestController
    static class Work {
        private static final org.slf4j.Logger log = LoggerFactory.getLogger(Work.class);

        @GetMapping("/work")
        Mono<Map<String, String>> work() {
            return hopping(log);
        }

        /** Logs "before the hop", "on another thread" (a bounded-elastic one) and "after the hop" to {@code log}. */
        static Mono<Map<String, String>> hopping(org.slf4j.Logger log) {
            return Mono.fromRunnable(() -> log.info("before the hop"))
                    .then(Mono.fromCallable(() -> {
                        log.info("on another thread");
                        return Map.of("thread", Thread.currentThread().getName());
                    }).subscribeOn(Schedulers.boundedElastic()))
                    .doOnNext(done -> log.info("after the hop"));
        }
    }
}
