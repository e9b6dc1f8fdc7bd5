package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.RunStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Each service's {@code /actuator/prometheus} after real runs, and its readiness and liveness probes while a
 * dependency is away. The scheduler and worker answer on their management ports, the gateway on its API port.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObservabilityIT {

    private static final List<String> SERVICES = List.of("gateway", "scheduler", "worker");
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final int RUNS = 3;

    private static Stack stack;
    private static Tenant tenant;

    @BeforeAll
    static void stack() {
        stack = Stack.get();
        tenant = Tenant.create("observe");
    }

    @Test
    @Order(1)
    void everyServiceCountsTheRunsItHandled() {
        PrometheusText gatewayBefore = scrape("gateway");
        PrometheusText schedulerBefore = scrape("scheduler");
        PrometheusText workerBefore = scrape("worker");

        for (int i = 0; i < RUNS; i++) {
            String runId = tenant.submit(Map.of("runtime_key", "busybox", "command", "echo hello"));
            tenant.awaitStatus(runId, RunStatus.SUCCEEDED);
        }
        Api.Response refused = tenant.api.post(tenant.runs(), Map.of("runtime_key", "busybox"));
        assertThat(refused.status()).as(refused.body().toString()).isEqualTo(422);

        // The gateway counts a submission before it answers it.
        PrometheusText gateway = scrape("gateway");
        assertThat(delta(gateway, gatewayBefore, "coderun_submissions_total", "outcome", "accepted"))
                .isEqualTo(RUNS);
        assertThat(delta(gateway, gatewayBefore, "coderun_submissions_total", "outcome", "validation_failed"))
                .isEqualTo(1);
        assertThat(gateway.sum("coderun_projector_lag_seconds_count", "topic", "events")).isGreaterThanOrEqualTo(1);
        assertThat(gateway.has("coderun_sse_subscribers")).isTrue();
        assertThat(gateway.has("coderun_quota_rejections_total")).isTrue();
        assertThat(gateway.has("kafka_consumer_fetch_manager_records_lag_max")).as("spring-kafka client metrics")
                .isTrue();

        // The scheduler and the worker count after publishing: a run can be read as ended a moment before.
        PrometheusText scheduler = await("the scheduler's counters").atMost(BOUND).until(() -> scrape("scheduler"),
                s -> delta(s, schedulerBefore, "coderun_scheduler_admissions_total", "outcome", "accepted") >= RUNS);
        assertThat(delta(scheduler, schedulerBefore, "coderun_scheduler_admissions_total", "outcome", "accepted"))
                .isEqualTo(RUNS);
        assertThat(delta(scheduler, schedulerBefore, "coderun_scheduler_dispatch_latency_seconds_count"))
                .isEqualTo(RUNS);
        assertThat(scheduler.sum("coderun_scheduler_dispatch_latency_seconds_bucket", "le", "+Inf"))
                .isEqualTo(scheduler.sum("coderun_scheduler_dispatch_latency_seconds_count"));
        assertThat(scheduler.has("coderun_runs_queued")).isTrue();
        assertThat(scheduler.has("coderun_runs_active")).isTrue();
        assertThat(scheduler.has("coderun_scheduler_leases_expired_total")).isTrue();
        assertThat(scheduler.has("coderun_runs_reattempted_total")).isTrue();
        assertThat(scheduler.has("kafka_stream_thread_commit_rate")).as("Kafka Streams client metrics").isTrue();

        PrometheusText worker = await("the worker's counters").atMost(BOUND).until(() -> scrape("worker"),
                w -> delta(w, workerBefore, "coderun_worker_runs_total", "status", "SUCCEEDED") >= RUNS);
        assertThat(delta(worker, workerBefore, "coderun_worker_runs_total", "status", "SUCCEEDED")).isEqualTo(RUNS);
        assertThat(delta(worker, workerBefore, "coderun_runs_duration_seconds_count", "status", "SUCCEEDED"))
                .isEqualTo(RUNS);
        assertThat(delta(worker, workerBefore, "coderun_worker_container_start_seconds_count")).isEqualTo(RUNS);
        assertThat(delta(worker, workerBefore, "coderun_worker_dispatch_latency_seconds_count")).isEqualTo(RUNS);
        assertThat(delta(worker, workerBefore, "coderun_runs_output_bytes_sum", "stream", "stdout"))
                .isEqualTo(RUNS * "hello\n".length());
        assertThat(worker.sum("coderun_worker_slots")).isEqualTo(Stack.WORKER_SLOTS);
        assertThat(worker.has("kafka_producer_record_send_total")).as("producer client metrics").isTrue();

        // Read from the brokers on an interval: every coderun group, the worker share group among them.
        PrometheusText lag = await("group lag").atMost(BOUND).until(() -> scrape("scheduler"),
                s -> s.has("coderun_kafka_group_lag_records")
                        && s.samples().stream().filter(x -> x.name().equals("coderun_kafka_group_lag_records"))
                                .map(x -> x.labels().get("group")).toList()
                                .containsAll(List.of("coderun-projector", "coderun-scheduler", "coderun-workers")));
        assertThat(lag.sum("coderun_kafka_group_lag_records")).isGreaterThanOrEqualTo(0);
    }

    @Test
    @Order(2)
    void readinessGoesDownWithoutKafkaWhileLivenessStaysUp() {
        for (String service : SERVICES) {
            assertThat(status(service, "/actuator/health/readiness")).as(service + " readiness").isEqualTo(200);
        }
        stack.stopBroker();
        try {
            for (String service : SERVICES) {
                await(service + " readiness DOWN").atMost(BOUND).pollInterval(Duration.ofMillis(500))
                        .until(() -> status(service, "/actuator/health/readiness") == 503);
                assertThat(status(service, "/actuator/health/liveness")).as(service + " liveness").isEqualTo(200);
            }
        } finally {
            stack.startBroker();
        }
        for (String service : SERVICES) {
            await(service + " readiness UP again").atMost(BOUND).pollInterval(Duration.ofMillis(500))
                    .until(() -> status(service, "/actuator/health/readiness") == 200);
        }
    }

    private static double delta(PrometheusText after, PrometheusText before, String name, String... labels) {
        return after.sum(name, labels) - before.sum(name, labels);
    }

    private static PrometheusText scrape(String service) {
        try {
            HttpResponse<String> response = HTTP.send(get(service, "/actuator/prometheus"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(service + " /actuator/prometheus").isEqualTo(200);
            return PrometheusText.parse(response.body());
        } catch (IOException e) {
            throw new IllegalStateException(service + " did not answer /actuator/prometheus", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The HTTP status of a probe; -1 when the service does not answer within 5 s. */
    private static int status(String service, String path) {
        try {
            return HTTP.send(get(service, path), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static HttpRequest get(String service, String path) {
        return HttpRequest.newBuilder(URI.create(stack.managementUrl(service) + path))
                .timeout(Duration.ofSeconds(5)).build();
    }
}
