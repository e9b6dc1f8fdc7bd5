package dev.coderun.worker;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.UUID;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Worker settings ({@code coderun.worker.*}).
 *
 * @param id this worker's identity in events, heartbeats and container labels. Give each worker a stable id (one per
 *     host and Docker engine) so that a restarted worker removes the containers its previous process left behind.
 *     Default: the host name plus a random suffix, which is unique but changes on every start
 * @param slots runs executed at once; the worker only takes a dispatched run when a slot is free. Default 4
 * @param bootstrapServers Kafka brokers. Default {@code 127.0.0.1:9092}
 * @param heartbeatInterval how often a {@code WorkerHeartbeat} is published. Default 5s
 * @param dispatch how runs are taken from the dispatch topic
 * @param docker the Docker engine runs execute on
 * @param sandbox the container limits that are the platform's rather than the runtime's
 * @param output how captured output is cut into chunks
 */
@Validated
@ConfigurationProperties("coderun.worker")
public record WorkerProperties(
        String id,
        @DefaultValue("4") @Min(1) int slots,
        @DefaultValue("127.0.0.1:9092") @NotBlank String bootstrapServers,
        @DefaultValue("5s") @DurationMin(millis = 100) Duration heartbeatInterval,
        @DefaultValue @Valid Dispatch dispatch,
        @DefaultValue @Valid Docker docker,
        @DefaultValue @Valid Sandbox sandbox,
        @DefaultValue @Valid Output output) {

    public WorkerProperties {
        if (id == null || id.isBlank()) {
            id = defaultId();
        }
    }

    /**
     * @param pollTimeout how long one poll of the share group waits for a record. Default 1s
     * @param leaveGroupWhenFullAfter how long every slot may stay busy before the worker leaves the share group, so
     *     that the dispatch partitions assigned to it go to workers that can take runs; it rejoins when a slot frees.
     *     Keep it below the share consumer's {@code max.poll.interval.ms} (5 min). Default 10s
     * @param shutdownGrace on shutdown, how long running runs may still finish before their containers are killed and
     *     they end ERRORED ({@code worker_shutdown}). Default 30s
     */
    public record Dispatch(
            @DefaultValue("1s") @DurationMin(millis = 10) Duration pollTimeout,
            @DefaultValue("10s") @DurationMin(millis = 0) @DurationMax(minutes = 4) Duration leaveGroupWhenFullAfter,
            @DefaultValue("30s") @DurationMin(millis = 0) Duration shutdownGrace) {}

    /**
     * @param host the engine's API endpoint. Default {@code unix:///var/run/docker.sock}
     * @param pullTimeout how long pulling a missing image may take before the run ends ERRORED
     *     ({@code image_unavailable}). Default 5m
     */
    public record Docker(
            @DefaultValue("unix:///var/run/docker.sock") @NotNull URI host,
            @DefaultValue("5m") @DurationMin(seconds = 1) Duration pullTimeout) {}

    /**
     * @param user the non-root {@code uid:gid} every container runs as. Default {@code 65534:65534} (nobody)
     * @param tmpfsSize size of the writable tmpfs mounted on {@code /tmp}. Default 64MB
     */
    public record Sandbox(@DefaultValue("65534:65534") @NotBlank String user, @DefaultValue("64MB") DataSize tmpfsSize) {

        public Sandbox {
            if (tmpfsSize.toBytes() <= 0) {
                throw new IllegalArgumentException("coderun.worker.sandbox.tmpfs-size must be positive");
            }
            String uid = user.split(":", 2)[0];
            if (uid.equals("0") || uid.equals("root")) {
                throw new IllegalArgumentException("coderun.worker.sandbox.user must not be root");
            }
        }
    }

    /**
     * @param chunkSize retained output is published in chunks of at most this size. Default 32KB
     * @param flushInterval how often output that has not filled a chunk is published while the run is running, so it
     *     can be watched live. Default 100ms
     */
    public record Output(
            @DefaultValue("32KB") DataSize chunkSize,
            @DefaultValue("100ms") @DurationMin(millis = 10) Duration flushInterval) {

        public Output {
            // Chunks travel as Kafka records; stay well below the default 1 MiB record limit.
            if (chunkSize.toBytes() <= 0 || chunkSize.toKilobytes() > 512) {
                throw new IllegalArgumentException("coderun.worker.output.chunk-size must be in (0, 512KB]");
            }
        }
    }

    private static String defaultId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "worker";
        }
        return host + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
