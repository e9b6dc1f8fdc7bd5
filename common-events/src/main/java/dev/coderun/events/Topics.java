package dev.coderun.events;

import java.util.List;

/** Every topic, its key and its message family, in one place. Names carry a version: a breaking change is a new topic. */
public final class Topics {

    /** {@link RunCommand}s, key = handle. */
    public static final String COMMANDS = "coderun.commands.v1";

    /** {@link WorkerDirective}s from the scheduler to the worker fleet (one share group), key = run id. */
    public static final String DISPATCH = "coderun.dispatch.v1";

    /** {@link RunEvent}s, key = handle, so a handle's events are ordered and co-partitioned with its commands. */
    public static final String EVENTS = "coderun.events.v1";

    /** {@link OutputChunk}s, key = run id. */
    public static final String OUTPUT = "coderun.output.v1";

    /** {@link WorkerHeartbeat}s, key = worker id; compacted. */
    public static final String HEARTBEATS = "coderun.worker-heartbeats.v1";

    /** The share group every worker joins to take dispatched runs one by one. */
    public static final String WORKER_SHARE_GROUP = "coderun-workers";

    /** Partitions of the handle-keyed topics; commands and events must stay co-partitioned. */
    public static final int HANDLE_PARTITIONS = 6;

    /** The topics with their partition counts and whether they are compacted, for provisioning. */
    public static final List<TopicSpec> ALL = List.of(
            new TopicSpec(COMMANDS, HANDLE_PARTITIONS, false),
            new TopicSpec(EVENTS, HANDLE_PARTITIONS, false),
            new TopicSpec(DISPATCH, HANDLE_PARTITIONS, false),
            new TopicSpec(OUTPUT, HANDLE_PARTITIONS, false),
            new TopicSpec(HEARTBEATS, 1, true));

    private Topics() {}

    public record TopicSpec(String name, int partitions, boolean compacted) {}
}
