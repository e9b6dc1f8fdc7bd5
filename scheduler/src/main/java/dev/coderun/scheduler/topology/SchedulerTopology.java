package dev.coderun.scheduler.topology;

import dev.coderun.events.KafkaMessageDeserializer;
import dev.coderun.events.KafkaMessageSerializer;
import dev.coderun.events.Message;
import dev.coderun.events.RunSpec;
import dev.coderun.events.Topics;
import dev.coderun.observability.KafkaTracing;
import dev.coderun.scheduler.admission.Admission;
import dev.coderun.scheduler.admission.HandleState;
import java.time.Clock;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Commands and run events, both keyed by handle and co-partitioned, flow into one admission processor whose state
 * stores are partitioned by handle; it writes run events back to the events topic, dispatches to the workers, tells
 * them to stop runs, and dead-letters what it cannot process. Worker heartbeats feed a global store that every task
 * reads to keep leases.
 *
 * <p>Stores: {@value #HANDLE_STORE} (handle → small {@link HandleState}), {@value #QUEUE_STORE} (handle + sequence →
 * run id, one entry per queued run), {@value #QUEUED_SEQ_STORE} (run id → its queue sequence), {@value #SPEC_STORE}
 * (run id → spec, written once when accepted, dropped when the run ends), {@value #ACCEPTED_STORE} (run ids accepted,
 * so a redelivered submission changes nothing), {@value #TRACE_STORE} (run id → the W3C {@code traceparent} of its
 * admission, written when accepted with a trace, dropped when the run ends; see {@link KafkaTracing}), and the global
 * {@value #HEARTBEAT_STORE}.
 */
public final class SchedulerTopology {

    static final String HANDLE_STORE = "handle-state";
    static final String QUEUE_STORE = "run-queue";
    static final String QUEUED_SEQ_STORE = "queued-seqs";
    static final String SPEC_STORE = "run-specs";
    static final String ACCEPTED_STORE = "accepted-runs";
    static final String HEARTBEAT_STORE = "worker-heartbeats";
    static final String TRACE_STORE = "run-traces";
    static final String EVENTS_SINK = "events-sink";
    static final String DISPATCH_SINK = "dispatch-sink";
    static final String CONTROL_SINK = "control-sink";
    static final String DEAD_LETTER_SINK = "dead-letter-sink";

    private SchedulerTopology() {}

    /** The topology without tracing. */
    public static Topology build(Admission admission, Clock clock, Duration leaseCheckInterval) {
        return build(admission, clock, leaseCheckInterval, SchedulerMetrics.detached(), KafkaTracing.off());
    }

    /** The topology, counting what it applies in {@code metrics} and continuing runs' traces with {@code traces}. */
    static Topology build(
            Admission admission, Clock clock, Duration leaseCheckInterval, SchedulerMetrics metrics,
            KafkaTracing traces) {
        Serde<Message> messages = Serdes.serdeFrom(new KafkaMessageSerializer(), new KafkaMessageDeserializer());
        Serde<String> keys = Serdes.String();
        Inbound.Reader inbound = new Inbound.Reader();
        OutboundSerializer outbound = new OutboundSerializer();
        Topology topology = new Topology();
        topology.addSource("commands", keys.deserializer(), inbound, Topics.COMMANDS);
        topology.addSource("events", keys.deserializer(), inbound, Topics.EVENTS);
        topology.addProcessor("admission",
                () -> new AdmissionProcessor(admission, clock, leaseCheckInterval, metrics, traces),
                "commands", "events");
        topology.addStateStore(store(HANDLE_STORE, keys, JsonStoreSerde.of(HandleState.class)), "admission");
        topology.addStateStore(store(QUEUE_STORE, keys, Serdes.String()), "admission");
        topology.addStateStore(store(QUEUED_SEQ_STORE, keys, Serdes.Long()), "admission");
        topology.addStateStore(store(SPEC_STORE, keys, JsonStoreSerde.of(RunSpec.class)), "admission");
        topology.addStateStore(store(ACCEPTED_STORE, keys, Serdes.Long()), "admission");
        topology.addStateStore(store(TRACE_STORE, keys, Serdes.String()), "admission");
        topology.addGlobalStore(
                Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(HEARTBEAT_STORE), keys, messages)
                        .withLoggingDisabled(),
                "heartbeats", keys.deserializer(), messages.deserializer(), Topics.HEARTBEATS,
                "heartbeat-updater", HeartbeatUpdater::new);
        topology.addSink(EVENTS_SINK, Topics.EVENTS, keys.serializer(), outbound, "admission");
        topology.addSink(DISPATCH_SINK, Topics.DISPATCH, keys.serializer(), outbound, "admission");
        topology.addSink(CONTROL_SINK, Topics.CONTROL, keys.serializer(), outbound, "admission");
        topology.addSink(DEAD_LETTER_SINK, Topics.DEAD_LETTER, keys.serializer(), outbound, "admission");
        return topology;
    }

    private static <V> org.apache.kafka.streams.state.StoreBuilder<KeyValueStore<String, V>> store(
            String name, Serde<String> keys, Serde<V> values) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), keys, values);
    }

    /** Keeps each worker's latest heartbeat. */
    private static final class HeartbeatUpdater implements Processor<String, Message, Void, Void> {

        private KeyValueStore<String, Message> heartbeats;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            heartbeats = context.getStateStore(HEARTBEAT_STORE);
        }

        @Override
        public void process(Record<String, Message> record) {
            if (record.key() != null) {
                heartbeats.put(record.key(), record.value());
            }
        }
    }
}
