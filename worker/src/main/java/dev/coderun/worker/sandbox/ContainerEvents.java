package dev.coderun.worker.sandbox;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the end of a watched container from the engine's event stream, before the engine's wait does: Docker logs a
 * container's {@code die} event, with its exit code, as soon as the process's end is known, and answers a wait only
 * after it has also cleaned the container up (unmounted its root file system, released its network), which measured
 * 11–44 ms more per run here on Docker 20.10. An {@code oom} event the stream carried for the container before its
 * {@code die} marks the end as an OOM kill, as the engine's {@code OOMKilled} state would.
 *
 * <p>The same events tell which warm containers died while they waited ({@link #died}), so taking one needs no
 * inspection while the stream is {@link #live}.
 *
 * <p>One stream serves every container of this worker (filtered by its id label). When the stream breaks it is opened
 * again, from a second before the break, so an end that happened meanwhile is still told; until then, a watch simply
 * stays open and the launcher's wait answers instead, and {@link #live} is false.
 */
public final class ContainerEvents implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ContainerEvents.class);
    private static final Duration RECONNECT_AFTER = Duration.ofMillis(500);
    /** Ends remembered for {@link #died}: far more than the containers a worker holds at once. */
    private static final int REMEMBERED = 4096;
    /** The exit code the engine reports for a process killed by SIGKILL: ours, the kernel's OOM killer, or its own. */
    static final int KILLED = 137;

    /** The end of a container as its events told it. */
    public record Died(int exitCode, boolean oomKilled) {}

    private static final class Watch {
        final CompletableFuture<Died> died = new CompletableFuture<>();
        volatile boolean oomKilled;
    }

    private final DockerClient docker;
    private final String workerId;
    private final Map<String, Watch> watched = new ConcurrentHashMap<>();
    /** The containers whose die event came, the latest {@link #REMEMBERED}; guarded by itself. */
    private final Map<String, Boolean> dead = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };
    private volatile boolean live;
    private final ScheduledExecutorService reconnects = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("container-events").daemon().factory());
    private volatile Closeable stream;
    private volatile boolean closed;

    /** Opens the stream of the die and oom events of the containers labelled with {@code workerId}. */
    public ContainerEvents(DockerClient docker, String workerId) {
        this.docker = docker;
        this.workerId = workerId;
        subscribe(null);
    }

    /**
     * Starts watching {@code containerId}; call it before its process can end. The answer completes with the
     * container's end, if the stream tells it; {@link #forget} it once the end is known either way.
     */
    public CompletableFuture<Died> watch(String containerId) {
        return watched.computeIfAbsent(containerId, id -> new Watch()).died;
    }

    /** Stops watching {@code containerId}. */
    public void forget(String containerId) {
        watched.remove(containerId);
    }

    /**
     * Whether the stream is open: then every end of a container of this worker up to a moment ago has been told, and
     * {@link #died} is trusted. After a reopening this turns true when the engine answers the subscription, a moment
     * before the replay of the second before the break arrives, so an end in that gap is told that moment late.
     */
    public boolean live() {
        return live;
    }

    /** Whether the stream told the end of {@code containerId} (one of the latest few thousand ends). */
    public boolean died(String containerId) {
        synchronized (dead) {
            return dead.containsKey(containerId);
        }
    }

    private void subscribe(String since) {
        if (closed) {
            return;
        }
        var command = docker.eventsCmd()
                .withEventTypeFilter(EventType.CONTAINER)
                .withEventFilter("die", "oom")
                .withLabelFilter(Map.of(SandboxPolicy.LABEL_WORKER_ID, workerId));
        if (since != null) {
            command.withSince(since);
        }
        try {
            stream = command.exec(new Listener());
        } catch (RuntimeException e) {
            reconnect(e);
        }
    }

    private void reconnect(Throwable cause) {
        live = false;
        if (closed) {
            return;
        }
        log.warn("the engine's event stream broke ({}); opening it again in {}", cause, RECONNECT_AFTER);
        // Docker takes "seconds.nanoseconds"; a second back covers the time the stream was breaking.
        long nanos = System.currentTimeMillis() * 1_000_000L - 1_000_000_000L;
        String since = (nanos / 1_000_000_000L) + "." + String.format("%09d", nanos % 1_000_000_000L);
        try {
            reconnects.schedule(() -> subscribe(since), RECONNECT_AFTER.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException rejected) {
            // Closed meanwhile.
        }
    }

    private void on(Event event) {
        if (event.getActor() == null || event.getActor().getId() == null) {
            return;
        }
        String id = event.getActor().getId();
        Watch watch = watched.get(id);
        switch (String.valueOf(event.getAction())) {
            case "oom" -> {
                if (watch != null) {
                    watch.oomKilled = true;
                }
            }
            case "die" -> {
                synchronized (dead) {
                    dead.put(id, Boolean.TRUE);
                }
                String code = event.getActor().getAttributes() == null
                        ? null : event.getActor().getAttributes().get("exitCode");
                if (watch != null) {
                    try {
                        watch.died.complete(new Died(Integer.parseInt(code), watch.oomKilled));
                    } catch (NumberFormatException unreadable) {
                        // Left to the wait.
                        log.debug("die event of {} without a readable exit code ({})", id, code);
                    }
                }
            }
            default -> { }
        }
    }

    private final class Listener extends ResultCallback.Adapter<Event> {

        /** The engine answered the subscription: events from here on reach {@link #onNext}. */
        @Override
        public void onStart(Closeable stream) {
            super.onStart(stream);
            live = true;
        }

        @Override
        public void onNext(Event event) {
            on(event);
        }

        /** Not passed on: the adapter would log it with a stack trace; a broken stream is only opened again. */
        @Override
        public void onError(Throwable failure) {
            closeQuietly(this);
            reconnect(failure);
        }

        @Override
        public void onComplete() {
            closeQuietly(this);
            reconnect(new IOException("the stream ended"));
        }
    }

    @Override
    public void close() {
        closed = true;
        reconnects.shutdownNow();
        Closeable open = stream;
        if (open != null) {
            closeQuietly(open);
        }
    }

    private static void closeQuietly(Closeable stream) {
        try {
            stream.close();
        } catch (IOException e) {
            log.debug("closing the engine's event stream failed", e);
        }
    }
}
