package dev.coderun.scheduler.topology;

import dev.coderun.events.Message;
import dev.coderun.events.RunSpec;
import dev.coderun.events.WorkerHeartbeat;
import dev.coderun.scheduler.admission.QueuedRun;
import dev.coderun.scheduler.admission.RunBook;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * {@link RunBook} over the scheduler's state stores, for one handle. A queued run is one entry keyed by handle and
 * zero-padded sequence number, so the handle's queue is a prefix range in sequence order.
 */
final class StoreRunBook implements RunBook {

    private static final StringSerializer KEYS = new StringSerializer();

    private final String handle;
    private final SchedulerStores stores;

    StoreRunBook(String handle, SchedulerStores stores) {
        this.handle = handle;
        this.stores = stores;
    }

    static String queueKey(String handle, long seq) {
        return queuePrefix(handle) + String.format("%019d", seq);
    }

    private static String queuePrefix(String handle) {
        // Handles are slugs, so no handle's prefix is a prefix of another's once the separator follows.
        return handle + '\u0000';
    }

    @Override
    public List<QueuedRun> oldestQueued(int n) {
        List<QueuedRun> oldest = new ArrayList<>(n);
        try (KeyValueIterator<String, String> queue = stores.queue().prefixScan(queuePrefix(handle), KEYS)) {
            while (oldest.size() < n && queue.hasNext()) {
                KeyValue<String, String> entry = queue.next();
                long seq = Long.parseLong(entry.key.substring(entry.key.length() - 19));
                oldest.add(new QueuedRun(entry.value, seq));
            }
        }
        return oldest;
    }

    @Override
    public Optional<QueuedRun> queued(String runId) {
        // The index spans the task's handles: the run counts only if it waits in this handle's queue.
        return Optional.ofNullable(stores.queuedSeqs().get(runId))
                .filter(seq -> runId.equals(stores.queue().get(queueKey(handle, seq))))
                .map(seq -> new QueuedRun(runId, seq));
    }

    @Override
    public RunSpec spec(String runId) {
        RunSpec spec = stores.specs().get(runId);
        if (spec == null) {
            throw new IllegalStateException("no spec kept for live run " + runId);
        }
        return spec;
    }

    @Override
    public boolean accepted(String runId) {
        return stores.accepted().get(runId) != null;
    }

    @Override
    public Optional<WorkerHeartbeat> heartbeat(String workerId) {
        try {
            return stores.heartbeats().get(workerId) instanceof WorkerHeartbeat heartbeat
                    ? Optional.of(heartbeat) : Optional.empty();
        } catch (RuntimeException unreadable) {
            // A heartbeat this build cannot read is no sign of life.
            return Optional.empty();
        }
    }

    /** The stores one admission task works on. */
    record SchedulerStores(
            KeyValueStore<String, dev.coderun.scheduler.admission.HandleState> handles,
            KeyValueStore<String, String> queue,
            KeyValueStore<String, Long> queuedSeqs,
            KeyValueStore<String, RunSpec> specs,
            KeyValueStore<String, Long> accepted,
            ReadOnlyKeyValueStore<String, Message> heartbeats) {}
}
