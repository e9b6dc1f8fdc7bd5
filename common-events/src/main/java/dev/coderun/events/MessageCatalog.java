package dev.coderun.events;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The wire name and schema version of every concrete {@link Message}. A new message type or an incompatible change
 * to one is made here, and the golden-file tests show what it does to the wire.
 */
public final class MessageCatalog {

    /** A message type on the wire: stable name plus schema version. */
    public record MessageType(String name, int version) {}

    private static final Map<Class<? extends Message>, MessageType> BY_CLASS = new LinkedHashMap<>();
    private static final Map<String, Class<? extends Message>> BY_NAME = new LinkedHashMap<>();

    static {
        register(SubmitRun.class, "SubmitRun", 1);
        register(CancelRun.class, "CancelRun", 1);
        register(RunAccepted.class, "RunAccepted", 1);
        register(RunQueued.class, "RunQueued", 1);
        register(RunStarting.class, "RunStarting", 1);
        register(RunStarted.class, "RunStarted", 1);
        register(RunFinished.class, "RunFinished", 1);
        register(DispatchRun.class, "DispatchRun", 1);
        register(StopRun.class, "StopRun", 1);
        register(OutputChunk.class, "OutputChunk", 1);
        register(WorkerHeartbeat.class, "WorkerHeartbeat", 1);
        register(DrainWorker.class, "DrainWorker", 1);
        register(UndrainWorker.class, "UndrainWorker", 1);
    }

    private MessageCatalog() {}

    private static void register(Class<? extends Message> type, String name, int version) {
        BY_CLASS.put(type, new MessageType(name, version));
        BY_NAME.put(name, type);
    }

    public static MessageType typeOf(Class<? extends Message> type) {
        MessageType found = BY_CLASS.get(type);
        if (found == null) {
            throw new IllegalArgumentException("Not in the message catalog: " + type.getName());
        }
        return found;
    }

    public static Optional<Class<? extends Message>> classOf(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    public static Map<Class<? extends Message>, MessageType> all() {
        return Map.copyOf(BY_CLASS);
    }
}
