package dev.coderun.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.util.unit.DataSize;

class WorkerPropertiesTest {

    @EnableConfigurationProperties(WorkerProperties.class)
    static class Bound {}

    private final ApplicationContextRunner context = new ApplicationContextRunner().withUserConfiguration(Bound.class);

    @Test
    void everySettingHasADefault() {
        context.run(ctx -> {
            WorkerProperties properties = ctx.getBean(WorkerProperties.class);
            assertThat(properties.id()).isNotBlank();
            assertThat(properties.slots()).isEqualTo(4);
            assertThat(properties.bootstrapServers()).isEqualTo("127.0.0.1:9092");
            assertThat(properties.heartbeatInterval()).isEqualTo(Duration.ofSeconds(3));
            assertThat(properties.fenceAfter()).isEqualTo(Duration.ofSeconds(12));
            assertThat(properties.control().lookBack()).isEqualTo(Duration.ofMinutes(10));
            assertThat(properties.control().maxStoppedAttempts()).isEqualTo(100_000);
            assertThat(properties.dispatch().pollTimeout()).isEqualTo(Duration.ofMillis(100));
            assertThat(properties.dispatch().leaveGroupWhenFullAfter()).isEqualTo(Duration.ofSeconds(10));
            assertThat(properties.dispatch().shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
            assertThat(properties.docker().host()).isEqualTo(URI.create("unix:///var/run/docker.sock"));
            assertThat(properties.docker().pullTimeout()).isEqualTo(Duration.ofMinutes(5));
            assertThat(properties.sandbox().user()).isEqualTo("65534:65534");
            assertThat(properties.sandbox().tmpfsSize()).isEqualTo(DataSize.ofMegabytes(64));
            assertThat(properties.output().chunkSize()).isEqualTo(DataSize.ofKilobytes(32));
            assertThat(properties.output().flushInterval()).isEqualTo(Duration.ofMillis(100));
        });
    }

    @Test
    void twoWorkersWithoutAConfiguredIdGetDifferentIds() {
        context.run(first -> context.run(second -> assertThat(first.getBean(WorkerProperties.class).id())
                .isNotEqualTo(second.getBean(WorkerProperties.class).id())));
    }

    @Test
    void aConfiguredIdIsKept() {
        context.withPropertyValues("coderun.worker.id=worker-a")
                .run(ctx -> assertThat(ctx.getBean(WorkerProperties.class).id()).isEqualTo("worker-a"));
    }

    @Test
    void aWorkerWithoutSlotsDoesNotStart() {
        context.withPropertyValues("coderun.worker.slots=0").run(ctx -> assertThat(ctx).hasFailed());
    }

    @Test
    void containersNeverRunAsRoot() {
        context.withPropertyValues("coderun.worker.sandbox.user=0:0").run(ctx -> assertThat(ctx).hasFailed());
        context.withPropertyValues("coderun.worker.sandbox.user=root").run(ctx -> assertThat(ctx).hasFailed());
    }

    @Test
    void theFenceMustLeaveRoomForMoreThanTwoHeartbeats() {
        context.withPropertyValues("coderun.worker.heartbeat-interval=3s", "coderun.worker.fence-after=6s")
                .run(ctx -> assertThat(ctx).hasFailed());
        context.withPropertyValues("coderun.worker.heartbeat-interval=3s", "coderun.worker.fence-after=7s")
                .run(ctx -> assertThat(ctx).hasNotFailed());
    }
}
