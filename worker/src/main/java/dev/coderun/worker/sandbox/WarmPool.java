package dev.coderun.worker.sandbox;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Started containers waiting for a run, per {@link PoolKey}, each used by exactly one run: {@link #take} hands a
 * container to one caller and forgets it; that caller hands its shell the run's process ({@link #script}) and removes
 * the container after the run.
 *
 * <p>A key is kept warm while a run of it was seen within {@code keepWarmFor}. Its size follows demand: at least
 * {@code sizePerKey} containers, and as many as runs of it ran at once here lately ({@link #begin}/{@link #end}), so a
 * wave of concurrent runs finds a container each when the next wave comes. All keys together hold at most
 * {@code maxContainers}, the most recently run keys first. A refill (after every take, demand and end, and on a fixed
 * tick which also lets idle keys go) works out what is missing and creates up to {@code parallelCreates} containers at
 * once, since one create-and-start (≈ 0.1 s here without the engine's networking, 0.2 s with it; more under load)
 * would otherwise bound how fast a busy key is refilled.
 * A key whose waiter cannot run (the image lacks {@code /bin/sh}, say) is disabled for the life of the pool: its runs
 * go cold; other failures to create one are retried by the next refill. Pooled containers carry this worker's id
 * label, so the orphan sweep at the next start ({@link ContainerLauncher#removeOrphans}) removes those a crash left
 * behind; {@link #close} removes the rest.
 */
public final class WarmPool implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);

    /** Marks a pooled container; its value is {@code warm}. Pooled containers have no run id label. */
    public static final String LABEL_POOL = "coderun.pool";

    /** Ends the script a warm container's shell reads from stdin before it runs it. */
    static final String END_OF_SCRIPT = "#coderun-run-8d41f0c6";

    /**
     * A pooled container's main process: a shell that reads a script from stdin up to the line
     * {@link #END_OF_SCRIPT} and runs it ({@link #script}); the script ends in {@code exec} of the run's process, which
     * so becomes the container's main process, as in a cold container. It reads stdin one byte at a time (as every
     * POSIX shell's {@code read} does on a pipe), so what follows that line is the run's own stdin.
     */
    static final List<String> WAITER = List.of("/bin/sh", "-c",
            "c=; while IFS= read -r l; do if [ \"$l\" = '" + END_OF_SCRIPT + "' ]; then unset l; eval \"$c\"; exit 125;"
                    + " fi; c=\"$c$l\n\"; done; exit 125",
            "coderun-warm");

    /** The variables the waiting shell itself exports; the script unsets them, so the run's process sees the spec's. */
    private static final List<String> SHELL_VARIABLES = List.of("SHLVL", "PWD", "OLDPWD");

    /**
     * What a warm container's shell is given to run {@code spec}'s process: the spec's env exported over the
     * container's own (as a cold container's env is the image's overlaid by the spec's), then {@code exec} of its
     * entrypoint and command, every word single-quoted, ended by {@link #END_OF_SCRIPT}. A command not on the path
     * fails with 127 and the engine's wording, as a cold start of it does. Empty for a spec the shell cannot be given
     * exactly (an env name that is not a shell name, a line that reads as the end): such a run goes cold.
     */
    static Optional<byte[]> script(ContainerSpec spec) {
        StringBuilder script = new StringBuilder("unset ").append(String.join(" ", SHELL_VARIABLES)).append('\n');
        for (String variable : spec.env()) {
            int eq = variable.indexOf('=');
            if (eq <= 0 || !SHELL_NAME.matcher(variable.substring(0, eq)).matches()) {
                return Optional.empty();
            }
            script.append("export ").append(quoted(variable)).append('\n');
        }
        List<String> command = new ArrayList<>(spec.entrypoint());
        command.addAll(spec.cmd());
        if (command.isEmpty()) {
            return Optional.empty();
        }
        String program = quoted(command.getFirst());
        script.append("command -v ").append(program).append(" >/dev/null 2>&1 || { echo ")
                .append(quoted("exec: \"" + command.getFirst() + "\": executable file not found in $PATH"))
                .append(" >&2; exit 127; }\n");
        script.append("exec");
        command.forEach(word -> script.append(' ').append(quoted(word)));
        script.append('\n');
        String text = script.toString();
        if (text.lines().anyMatch(END_OF_SCRIPT::equals)) {
            return Optional.empty();
        }
        return Optional.of((text + END_OF_SCRIPT + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static final Pattern SHELL_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** {@code word} as one single-quoted shell word: nothing in it is expanded. */
    private static String quoted(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    private static final Duration TICK = Duration.ofSeconds(30);
    /** How long the largest number of runs of a key seen at once keeps sizing its pool. */
    static final Duration PEAK_WINDOW = Duration.ofMinutes(1);

    private final DockerClient docker;
    private final int sizePerKey;
    private final int maxContainers;
    private final Duration keepWarmFor;
    private final Clock clock;
    private final ScheduledExecutorService refiller =
            Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("warm-pool").daemon().factory());
    /** Creates and removes containers; engine calls never run on the refill thread. */
    private final ExecutorService engineCalls;

    /** Guards the fields below; engine calls are never made while holding it. */
    private final Object lock = new Object();
    private final Map<PoolKey, Deque<String>> ready = new HashMap<>();
    private final Map<PoolKey, Instant> lastDemand = new HashMap<>();
    private final Set<PoolKey> disabled = new HashSet<>();
    /** Containers being created, per key: a refill counts them as good as ready. */
    private final Map<PoolKey, Integer> creating = new HashMap<>();
    private final Map<PoolKey, Demand> demand = new HashMap<>();
    private boolean closed;

    /**
     * @param sizePerKey warm containers kept per key; positive
     * @param maxContainers warm containers kept at most over all keys
     * @param keepWarmFor how long after its last run a key stays warm
     * @param parallelCreates containers created at once at most; positive
     */
    public WarmPool(DockerClient docker, int sizePerKey, int maxContainers, Duration keepWarmFor, Clock clock,
            int parallelCreates) {
        if (sizePerKey <= 0 || maxContainers <= 0 || parallelCreates <= 0) {
            throw new IllegalArgumentException("a warm pool needs a positive size and parallelism");
        }
        this.engineCalls = Executors.newFixedThreadPool(
                parallelCreates, Thread.ofPlatform().name("warm-pool-engine-", 0).daemon().factory());
        this.docker = docker;
        this.sizePerKey = sizePerKey;
        this.maxContainers = maxContainers;
        this.keepWarmFor = keepWarmFor;
        this.clock = clock;
        refiller.scheduleWithFixedDelay(this::refill, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * A warm container for a spec of this key, now the caller's alone (it must remove it); empty when none is ready.
     * A take counts as a run of the key and starts a refill.
     */
    public Optional<String> take(PoolKey key) {
        String taken;
        synchronized (lock) {
            if (closed) {
                return Optional.empty();
            }
            Deque<String> waiting = ready.get(key);
            taken = waiting == null ? null : waiting.pollFirst();
            if (taken != null) {
                lastDemand.put(key, clock.instant());
            }
        }
        if (taken != null) {
            scheduleRefill();
        }
        return Optional.ofNullable(taken);
    }

    /** A run of this key went cold (its image is on the engine now): keeps the key warm and starts a refill. */
    public void demanded(PoolKey key) {
        synchronized (lock) {
            if (closed || disabled.contains(key)) {
                return;
            }
            lastDemand.put(key, clock.instant());
        }
        scheduleRefill();
    }

    /**
     * A run of this key starts here (warm or cold): while it runs it counts toward the key's demand, so the pool grows
     * to the number of runs of the key seen at once. Pair with {@link #end}.
     */
    public void begin(PoolKey key) {
        synchronized (lock) {
            demand.computeIfAbsent(key, k -> new Demand()).begin(clock.instant());
        }
    }

    /** A run {@link #begin begun} for this key ended; its successor will want a container, so a refill starts. */
    public void end(PoolKey key) {
        synchronized (lock) {
            Demand runs = demand.get(key);
            if (runs != null) {
                runs.end();
            }
        }
        scheduleRefill();
    }

    /** Ready containers per key, for observation. */
    public Map<PoolKey, Integer> readyCounts() {
        synchronized (lock) {
            Map<PoolKey, Integer> counts = new HashMap<>();
            ready.forEach((key, ids) -> counts.put(key, ids.size()));
            return counts;
        }
    }

    /** Stops refilling and removes every ready container; a container already taken is its run's to remove. */
    @Override
    public void close() {
        List<String> left = new ArrayList<>();
        synchronized (lock) {
            closed = true;
            ready.values().forEach(left::addAll);
            ready.clear();
        }
        // Not interrupted: an engine call cut short could leave a container the pool does not know of. A container
        // being created when the pool closed is removed by the refill that created it.
        refiller.shutdown();
        engineCalls.shutdown();
        try {
            if (!refiller.awaitTermination(30, TimeUnit.SECONDS)
                    || !engineCalls.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("the warm pool's refill did not stop; the next start of this worker removes what it left");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        left.forEach(this::remove);
        log.info("warm pool drained: {} containers removed", left.size());
    }

    /** {@link #targets(Map, Map, Instant, Duration, int, int)} with no key run more than once at a time. */
    static LinkedHashMap<PoolKey, Integer> targets(
            Map<PoolKey, Instant> lastDemand, Instant now, Duration keepWarmFor, int sizePerKey, int maxContainers) {
        return targets(lastDemand, Map.of(), now, keepWarmFor, sizePerKey, maxContainers);
    }

    /**
     * How many warm containers each key should have: keys run within {@code keepWarmFor}, most recent first, each the
     * larger of {@code sizePerKey} and its peak (runs of it at once lately), until {@code maxContainers} are given
     * out. Keys left out (idle, or beyond the cap) get none.
     */
    static LinkedHashMap<PoolKey, Integer> targets(Map<PoolKey, Instant> lastDemand, Map<PoolKey, Integer> peaks,
            Instant now, Duration keepWarmFor, int sizePerKey, int maxContainers) {
        LinkedHashMap<PoolKey, Integer> targets = new LinkedHashMap<>();
        int left = maxContainers;
        List<Map.Entry<PoolKey, Instant>> recentFirst = lastDemand.entrySet().stream()
                .filter(demand -> demand.getValue().plus(keepWarmFor).isAfter(now))
                .sorted(Map.Entry.<PoolKey, Instant>comparingByValue(Comparator.reverseOrder()))
                .toList();
        for (Map.Entry<PoolKey, Instant> demand : recentFirst) {
            int size = Math.min(Math.max(sizePerKey, peaks.getOrDefault(demand.getKey(), 0)), left);
            if (size == 0) {
                break;
            }
            targets.put(demand.getKey(), size);
            left -= size;
        }
        return targets;
    }

    private void scheduleRefill() {
        try {
            refiller.execute(this::refill);
        } catch (RejectedExecutionException closing) {
            // The pool is closing; nothing is refilled any more.
        }
    }

    /**
     * Runs on the refill thread only: trims keys over their target and hands the creation of what is missing (ready and
     * being created counted together) to the engine threads.
     */
    private void refill() {
        try {
            List<String> surplus = new ArrayList<>();
            List<PoolKey> toCreate = new ArrayList<>();
            synchronized (lock) {
                if (closed) {
                    return;
                }
                Instant now = clock.instant();
                lastDemand.entrySet().removeIf(demand -> !demand.getValue().plus(keepWarmFor).isAfter(now));
                demand.entrySet().removeIf(runs -> runs.getValue().idle(now));
                Map<PoolKey, Integer> peaks = new HashMap<>();
                demand.forEach((key, runs) -> peaks.put(key, runs.peak(now)));
                LinkedHashMap<PoolKey, Integer> targets =
                        targets(lastDemand, peaks, now, keepWarmFor, sizePerKey, maxContainers);
                for (Map.Entry<PoolKey, Deque<String>> entry : ready.entrySet()) {
                    int keep = targets.getOrDefault(entry.getKey(), 0);
                    while (entry.getValue().size() > keep) {
                        surplus.add(entry.getValue().pollLast());
                    }
                }
                ready.values().removeIf(Deque::isEmpty);
                targets.forEach((key, target) -> {
                    if (disabled.contains(key)) {
                        return;
                    }
                    int have = ready.getOrDefault(key, new ArrayDeque<>()).size() + creating.getOrDefault(key, 0);
                    for (int i = have; i < target; i++) {
                        toCreate.add(key);
                        creating.merge(key, 1, Integer::sum);
                    }
                });
            }
            surplus.forEach(id -> engineCalls.execute(() -> remove(id)));
            toCreate.forEach(key -> engineCalls.execute(() -> fill(key)));
        } catch (RejectedExecutionException closing) {
            // The pool closed while this refill ran; close removes what is ready.
        } catch (RuntimeException e) {
            log.error("refilling the warm pool failed", e);
        }
    }

    /** Creates one container for the key on an engine thread and makes it ready, unless the pool closed meanwhile. */
    private void fill(PoolKey key) {
        Optional<String> created = Optional.empty();
        try {
            created = create(key);
        } finally {
            boolean keep;
            synchronized (lock) {
                creating.merge(key, -1, (had, less) -> had + less == 0 ? null : had + less);
                keep = created.isPresent() && !closed;
                if (keep) {
                    ready.computeIfAbsent(key, k -> new ArrayDeque<>()).addLast(created.get());
                }
            }
            if (created.isPresent() && !keep) {
                remove(created.get());
            }
        }
    }

    /**
     * Creates and starts a container for the key; empty when that failed. When the waiter cannot run in the image (it
     * exits at once, or the engine cannot start it: no {@code /bin/sh}) the key is disabled; any other failure (the
     * engine busy or briefly failing) is retried by the next refill.
     */
    private Optional<String> create(PoolKey key) {
        String id = null;
        try {
            Map<String, String> labels = new HashMap<>(key.labels());
            labels.put(LABEL_POOL, "warm");
            id = ContainerLauncher.sandboxed(docker.createContainerCmd(key.image()), key)
                    .withEntrypoint(WAITER)
                    .withCmd(List.of())
                    .withStdinOpen(true)
                    .withStdInOnce(true)
                    .withLabels(labels)
                    .withTty(false)
                    .withAttachStdin(true)
                    .withAttachStdout(false)
                    .withAttachStderr(false)
                    .exec()
                    .getId();
            docker.startContainerCmd(id).exec();
            if (!Boolean.TRUE.equals(docker.inspectContainerCmd(id).exec().getState().getRunning())) {
                disable(key, "its waiting process exited at once");
                remove(id);
                return Optional.empty();
            }
            return Optional.of(id);
        } catch (RuntimeException e) {
            if (id != null && waiterCannotRun(id)) {
                disable(key, e.getMessage());
            } else {
                log.warn("creating a warm container for image {} failed; the next refill tries again: {}",
                        key.image(), e.getMessage());
            }
            if (id != null) {
                remove(id);
            }
            return Optional.empty();
        }
    }

    /** The engine gives a container whose process it cannot start 127 (not found) or 126 (not executable). */
    private boolean waiterCannotRun(String containerId) {
        try {
            Long exitCode = docker.inspectContainerCmd(containerId).exec().getState().getExitCodeLong();
            return exitCode != null && (exitCode == 127 || exitCode == 126);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void disable(PoolKey key, String reason) {
        synchronized (lock) {
            disabled.add(key);
        }
        log.warn("no warm containers for image {}: {}; its runs start cold", key.image(), reason);
    }

    private void remove(String containerId) {
        try {
            docker.removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException gone) {
            // Already removed: the outcome wanted.
        } catch (RuntimeException e) {
            log.error("could not remove warm container {}; the next start of this worker removes it", containerId, e);
        }
    }

    /** Runs of one key here: how many run now, and the most seen at once within {@link #PEAK_WINDOW}. */
    private static final class Demand {
        private int running;
        private int peak;
        private Instant peakAt = Instant.EPOCH;

        void begin(Instant now) {
            running++;
            if (running >= peak || peakAt.plus(PEAK_WINDOW).isBefore(now)) {
                peak = running;
                peakAt = now;
            }
        }

        void end() {
            running = Math.max(0, running - 1);
        }

        int peak(Instant now) {
            return peakAt.plus(PEAK_WINDOW).isBefore(now) ? running : peak;
        }

        boolean idle(Instant now) {
            return running == 0 && peakAt.plus(PEAK_WINDOW).isBefore(now);
        }
    }
}
