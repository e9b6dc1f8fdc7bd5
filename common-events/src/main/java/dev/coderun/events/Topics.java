package dev.coderun.events;

import java.util.List;

/**
 * Every topic, its key, its message family and the headers coderun sets, in one place. Names carry a version: a
 * breaking change is a new topic.
 */
public final class Topics {

    /** {@link RunCommand}s, key = handle. */
    public static final String COMMANDS = "coderun.commands.v1";

    /** {@link DispatchRun}s from the scheduler to the worker fleet (one share group), key = run id. */
    public static final String DISPATCH = "coderun.dispatch.v1";

    /** {@link StopRun}s from the scheduler to the worker fleet, key = run id; every worker reads all of them. */
    public static final String CONTROL = "coderun.control.v1";

    /** {@link RunEvent}s, key = handle, so a handle's events are ordered and co-partitioned with its commands. */
    public static final String EVENTS = "coderun.events.v1";

    /** {@link OutputChunk}s, key = run id. */
    public static final String OUTPUT = "coderun.output.v1";

    /** {@link WorkerHeartbeat}s, key = worker id; compacted. */
    public static final String HEARTBEATS = "coderun.worker-heartbeats.v1";

    /**
     * Records a service could not process, as they arrived (same key and value bytes), with the
     * {@code coderun.dlq.*} headers saying where they came from and why.
     */
    public static final String DEAD_LETTER = "coderun.dead-letter.v1";

    public static final String HEADER_DLQ_REASON = "coderun.dlq.reason";
    public static final String HEADER_DLQ_SOURCE = "coderun.dlq.source";

    /**
     * The W3C trace context (<a href="https://www.w3.org/TR/trace-context/">traceparent</a>) of the span that wrote
     * a record about a run: every service that handles the record continues the run's trace from it. Optional; a
     * record without it starts no trace downstream.
     */
    public static final String HEADER_TRACEPARENT = "traceparent";

    /** The share group every worker joins to take dispatched runs one by one. */
    public static final String WORKER_SHARE_GROUP = "coderun-workers";

    /** Partitions of the handle-keyed topics; commands and events must stay co-partitioned. */
    public static final int HANDLE_PARTITIONS = 6;

    /**
     * The largest single-run request body the API accepts (SPEC §4: 2 MiB). A batch is split into one command per run,
     * so no message grows with a batch.
     */
    public static final int MAX_RUN_REQUEST_BYTES = 2 * 1024 * 1024;

    /**
     * The largest runtime snapshot a run carries: env ≤ 256 KiB plus image, limits and names, with room to spare. The
     * runtime's secrets travel in the run's sealed secrets instead, and count toward the same 256 KiB with its env.
     */
    public static final int MAX_RUNTIME_SNAPSHOT_BYTES = 512 * 1024;

    /**
     * The one bound every Kafka size limit is derived from: producer {@code max.request.size}, broker
     * {@code message.max.bytes}, topic and changelog {@code max.message.bytes}, consumer fetch sizes. The largest
     * message is a {@link SubmitRun}, {@link RunAccepted} or {@link DispatchRun} carrying the largest request and the
     * largest runtime snapshot; re-encoding a request as JSON at most doubles it (a character that took one byte in
     * the request never takes more than two escaped), and the envelope adds little. Sealed secrets (the run's
     * {@code secret_env}, from the request, and the runtime's secrets, within the runtime's env bound) are base64 of
     * their bytes plus 28 bytes of nonce and tag: 4/3, less than the doubling allowed. So an accepted request always
     * fits.
     */
    public static final int MAX_MESSAGE_BYTES = 2 * (MAX_RUN_REQUEST_BYTES + MAX_RUNTIME_SNAPSHOT_BYTES) + 64 * 1024;

    /** A Kafka request or record batch carrying one largest message, with room for batch and protocol overhead. */
    public static final int MAX_REQUEST_BYTES = MAX_MESSAGE_BYTES + 64 * 1024;

    /** The topics with their partition counts and whether they are compacted, for provisioning. */
    public static final List<TopicSpec> ALL = List.of(
            new TopicSpec(COMMANDS, HANDLE_PARTITIONS, false),
            new TopicSpec(EVENTS, HANDLE_PARTITIONS, false),
            new TopicSpec(DISPATCH, HANDLE_PARTITIONS, false),
            new TopicSpec(CONTROL, HANDLE_PARTITIONS, false),
            new TopicSpec(OUTPUT, HANDLE_PARTITIONS, false),
            new TopicSpec(HEARTBEATS, 1, true),
            new TopicSpec(DEAD_LETTER, 1, false));

    private Topics() {}

    public record TopicSpec(String name, int partitions, boolean compacted) {}
}
