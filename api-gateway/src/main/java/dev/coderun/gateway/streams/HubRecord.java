package dev.coderun.gateway.streams;

import dev.coderun.events.Message;

/** One decoded record the hub read: where it sits on its topic, and the message. */
public record HubRecord(String topic, int partition, long offset, Message message) {

    /** The SSE id that resumes right after this record. */
    public EventId eventId() {
        return new EventId(partition, offset);
    }
}
