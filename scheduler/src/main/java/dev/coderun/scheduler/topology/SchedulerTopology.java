package dev.coderun.scheduler.topology;

import dev.coderun.events.KafkaMessageDeserializer;
import dev.coderun.events.KafkaMessageSerializer;
import dev.coderun.events.Message;
import dev.coderun.events.Topics;
import dev.coderun.scheduler.admission.Admission;
import dev.coderun.scheduler.admission.HandleState;
import java.time.Clock;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * Commands and run events, both keyed by handle and co-partitioned, flow into one admission processor whose state
 * stores are partitioned by handle; it writes run events back to the events topic and dispatches to the workers.
 */
public final class SchedulerTopology {

    static final String HANDLE_STORE = "handle-state";
    static final String ACCEPTED_STORE = "accepted-runs";
    static final String EVENTS_SINK = "events-sink";
    static final String DISPATCH_SINK = "dispatch-sink";

    private SchedulerTopology() {}

    public static Topology build(Admission admission, Clock clock) {
        Serde<Message> messages = Serdes.serdeFrom(new KafkaMessageSerializer(), new KafkaMessageDeserializer());
        Serde<String> keys = Serdes.String();
        Topology topology = new Topology();
        topology.addSource("commands", keys.deserializer(), messages.deserializer(), Topics.COMMANDS);
        topology.addSource("events", keys.deserializer(), messages.deserializer(), Topics.EVENTS);
        topology.addProcessor("admission", () -> new AdmissionProcessor(admission, clock), "commands", "events");
        topology.addStateStore(
                Stores.keyValueStoreBuilder(
                        Stores.persistentKeyValueStore(HANDLE_STORE), keys, JsonStoreSerde.of(HandleState.class)),
                "admission");
        topology.addStateStore(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ACCEPTED_STORE), keys, Serdes.Long()),
                "admission");
        topology.addSink(EVENTS_SINK, Topics.EVENTS, keys.serializer(), messages.serializer(), "admission");
        topology.addSink(DISPATCH_SINK, Topics.DISPATCH, keys.serializer(), messages.serializer(), "admission");
        return topology;
    }
}
