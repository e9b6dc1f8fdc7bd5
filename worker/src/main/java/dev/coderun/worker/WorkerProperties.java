package dev.coderun.worker;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
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
 * @param heartbeatInterval how often a {@code WorkerHeartbeat} is published. The scheduler gives this worker's run
 *     attempts up as lost when its heartbeats stop for the scheduler's lease timeout (15s by default), so a few must fit
 *     in it. Default 3s
 * @param fenceAfter when no heartbeat was acknowledged by Kafka for this long, the worker kills the containers of every
 *     run it holds and reports nothing of them: the scheduler gives those attempts up once no heartbeat has listed
 *     them for its lease timeout and runs them again elsewhere, and a run must never run twice at once. Keep it below the scheduler's lease timeout
 *     (15s by default) by more than the time a kill takes; it must exceed two heartbeat intervals. Default 12s
 * @param dispatch how runs are taken from the dispatch topic
 * @param control how stop directives are read from the control topic
 * @param docker the Docker engine runs execute on
 * @param sandbox the container limits that are the platform's rather than the runtime's
 * @param output how captured output is cut into chunks
 * @param pool the warm containers kept ready for runs
 */
@Validated
@ConfigurationProperties("coderun.worker")
public record WorkerProperties(
        String id,
        @DefaultValue("4") @Min(1) int slots,
        @DefaultValue("127.0.0.1:9092") @NotBlank String bootstrapServers,
        @DefaultValue("3s") @DurationMin(millis = 100) Duration heartbeatInterval,
        @DefaultValue("12s") Duration fenceAfter,
        @DefaultValue @Valid Dispatch dispatch,
        @DefaultValue @Valid Control control,
        @DefaultValue @Valid Docker docker,
        @DefaultValue @Valid Sandbox sandbox,
        @DefaultValue @Valid Output output,
        @DefaultValue @Valid Pool pool) {

    public WorkerProperties {
        if (id == null || id.isBlank()) {
            id = defaultId();
        }
        // One late or lost heartbeat must not fence a healthy worker.
        if (fenceAfter.compareTo(heartbeatInterval.multipliedBy(2)) <= 0) {
            throw new IllegalArgumentException("coderun.worker.fence-after (" + fenceAfter
                    + ") must exceed two heartbeat intervals (" + heartbeatInterval + ")");
        }
    }

    /**
     * @param pollTimeout how long one poll of the share group waits for a record. It also bounds a stall of the share
     *     consumer (kafka-clients 4.2): a fetch that acquires only a transaction marker (the scheduler writes every
     *     dispatch in a transaction) stops its fetching until the next poll call, so a dispatch committed meanwhile
     *     waited out the rest of the poll. Default 100ms
     * @param leaveGroupWhenFullAfter how long every slot may stay busy before the worker leaves the share group, so
     *     that the dispatch partitions assigned to it go to workers that can take runs; it rejoins when a slot frees.
     *     Keep it below the share consumer's {@code max.poll.interval.ms} (5 min). Default 10s
     * @param shutdownGrace on shutdown, how long running runs may still finish before their containers are killed and
     *     they are handed back to the scheduler, which runs them again elsewhere while their {@code max_attempts}
     *     allow (else they end ERRORED {@code worker_lost}). Default 30s
     */
    public record Dispatch(
            @DefaultValue("100ms") @DurationMin(millis = 10) Duration pollTimeout,
            @DefaultValue("10s") @DurationMin(millis = 0) @DurationMax(minutes = 4) Duration leaveGroupWhenFullAfter,
            @DefaultValue("30s") @DurationMin(millis = 0) Duration shutdownGrace) {}

    /**
     * @param lookBack at start the worker reads the control topic from this long ago, and it remembers every stopped run
     *     attempt for this long: a directive published shortly before the worker started, or before the attempt's
     *     dispatch reached it, still applies. Default 10m
     * @param maxStoppedAttempts how many stopped run attempts are remembered at most; beyond it the oldest is
     *     forgotten first. Default 100000
     */
    public record Control(
            @DefaultValue("10m") @DurationMin(seconds = 1) Duration lookBack,
            @DefaultValue("100000") @Min(1) int maxStoppedAttempts) {}

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
     * @param hostsFile where the worker writes the {@code /etc/hosts} of runs without a network, a path the Docker
     *     engine sees too (the worker and the engine on one host, or the same directory mounted at the same path in
     *     both). When set, such a run's container is created with the engine's networking off: the OCI runtime gives
     *     it a network namespace of its own with only loopback, as the engine's {@code none} network does, without
     *     the engine's network stack, which re-executes the engine's binary twice for every container; and this file
     *     is bound read-only on {@code /etc/hosts}, so {@code localhost} resolves as it does there. Unset (the
     *     default): the engine's {@code none} network
     */
    public record Sandbox(
            @DefaultValue("65534:65534") @NotBlank String user,
            @DefaultValue("64MB") DataSize tmpfsSize,
            Path hostsFile) {

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
     *     can be watched live; output that comes when nothing was published for this long is published at once.
     *     Default 100ms
     */
    public record Output(
            @DefaultValue("32KB") DataSize chunkSize,
            @DefaultValue("100ms") @DurationMin(millis = 10) Duration flushInterval) {

        public Output {
            // A chunk travels as one Kafka record, its bytes base64 in JSON (4/3 of their size): 512KB stays far below
            // Topics.MAX_MESSAGE_BYTES, the record size every coderun topic and client allows.
            if (chunkSize.toBytes() <= 0 || chunkSize.toKilobytes() > 512) {
                throw new IllegalArgumentException("coderun.worker.output.chunk-size must be in (0, 512KB]");
            }
        }
    }

    /**
     * Warm containers: started ahead of demand for the runtimes (precisely: the sandbox settings) recently run here,
     * each used by one run only (its waiting shell {@code exec}s the run's process) and then removed. A runtime keeps
     * at least {@code sizePerRuntime}, and as many as its runs that ran here at once lately; at most {@code slots} are
     * kept over all runtimes, the most recently run first.
     *
     * @param sizePerRuntime warm containers kept per runtime; 0 turns the pool off (every run starts cold). Default 2
     * @param keepWarmFor how long after its last run a runtime keeps its warm containers. Default 10m
     * @param parallelCreates warm containers created at once at most. Default 1: Debian's dockerd 20.10 once stopped
     *     answering here when two containers' shims ended at the same moment, and what more than one creation at once
     *     gains is not measured yet
     */
    public record Pool(
            @DefaultValue("2") @Min(0) int sizePerRuntime,
            @DefaultValue("10m") @DurationMin(seconds = 1) Duration keepWarmFor,
            @DefaultValue("1") @Min(1) int parallelCreates) {}

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
