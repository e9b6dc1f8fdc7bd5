package dev.coderun.gateway.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.http.HttpMethod;

class RouteClassTest {

    @ParameterizedTest(name = "{0} {1} is {2}")
    @CsvSource({
        "GET,    /v2/handles/h/code-runs,                         READS",
        "GET,    /v2/handles/h/code-runs/019a-1,                  READS",
        "GET,    /v2/handles/h/code-runs/019a-1/output,           READS",
        "GET,    /v2/handles/h/limits,                            READS",
        "GET,    /v2/support/reports,                             READS",
        "HEAD,   /v2/handles/h/code-runtimes,                     READS",
        "GET,    /v2/handles/h/code-runs/events,                  STREAMS",
        "GET,    /v2/handles/h/code-runs/019a-1/events,           STREAMS",
        "POST,   /v2/handles/h/code-runs,                         WRITES",
        "POST,   /v2/handles/h/code-runs/batch,                   WRITES",
        "POST,   /v2/handles/h/code-runs/019a-1/cancel,           WRITES",
        "PUT,    /v2/handles/h/code-runtimes/busybox,             WRITES",
        "POST,   /v2/handles/h/code-runtimes/busybox/validate-image, WRITES",
        "DELETE, /v2/handles/h/code-runtimes/busybox,             WRITES",
        "POST,   /v2/support/report,                              WRITES",
        "POST,   /v1/runtimes/busybox/exec,                       EXEC",
        "POST,   /v1/runtimes/6f1c2e2a-1111-4a4a-9b9b-0123456789ab/exec, EXEC",
    })
    void everyRequestFallsInTheClassOfItsMethodAndPath(String method, String path, RouteClass expected) {
        assertThat(RouteClass.of(HttpMethod.valueOf(method), path)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} {1} is {2}")
    @CsvSource({
        "POST, /v2/handles/h/code-runs/events,  WRITES",
        "GET,  /v1/runtimes/busybox/exec,       READS",
        "GET,  /v2/handles/h/code-runs/a/b/events, READS",
    })
    void aStreamOrExecPathWithAnotherMethodIsNoStreamOrExec(String method, String path, RouteClass expected) {
        assertThat(RouteClass.of(HttpMethod.valueOf(method), path)).isEqualTo(expected);
    }
}
