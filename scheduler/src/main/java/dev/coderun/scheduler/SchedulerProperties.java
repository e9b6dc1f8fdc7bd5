package dev.coderun.scheduler;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Scheduler settings ({@code coderun.scheduler.*}).
 *
 * @param bootstrapServers Kafka brokers
 * @param applicationId the Kafka Streams application id; every scheduler instance of one deployment shares it
 * @param stateDir where local state stores live; one per instance on a machine
 * @param commitInterval how often a Kafka transaction commits at the latest; a decision that dispatches or stops a run
 *     asks for its commit at once, since workers see it only then, so this bounds only the other writes (a run
 *     queued behind capacity, a claim, a freed slot). Kafka Streams' own default under exactly-once: each commit is a
 *     transaction of its own, and 20 ms measured about a fifth more transaction records per run
 * @param pollTimeout how long a stream thread blocks polling for input; a commit waits for the poll to return
 * @param maxActiveRunsPerHandle runs of one handle dispatched and not finished at once
 * @param maxQueuedRunsPerHandle runs of one handle waiting; one more is REJECTED with {@code queue_full}
 * @param streamThreads stream threads of this instance
 * @param leaseTimeout how long the worker holding a run may send no heartbeat before its attempt is given up (re-run
 *     while {@code max_attempts} allows, else ERRORED {@code worker_lost}). Keep it well above the workers'
 *     heartbeat interval (3 s) and above their {@code fence-after} (12 s), after which a cut-off worker kills its runs
 * @param leaseCheckInterval how often leases are checked; a lost attempt is settled at most this much after its lease
 *     expired
 * @param groupSessionTimeout how long a scheduler instance that died keeps its partitions before the group gives them
 *     to a live (or restarted) instance; no run of those partitions' handles is decided meanwhile
 */
@ConfigurationProperties("coderun.scheduler")
public record SchedulerProperties(
        @DefaultValue("127.0.0.1:9092") String bootstrapServers,
        @DefaultValue("coderun-scheduler") String applicationId,
        @DefaultValue("${java.io.tmpdir}/coderun-scheduler") Path stateDir,
        @DefaultValue("100ms") Duration commitInterval,
        @DefaultValue("10ms") Duration pollTimeout,
        @DefaultValue("8") int maxActiveRunsPerHandle,
        @DefaultValue("10000") int maxQueuedRunsPerHandle,
        @DefaultValue("2") int streamThreads,
        @DefaultValue("15s") Duration leaseTimeout,
        @DefaultValue("1s") Duration leaseCheckInterval,
        @DefaultValue("10s") Duration groupSessionTimeout) {}
