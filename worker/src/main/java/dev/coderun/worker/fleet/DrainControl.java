package dev.coderun.worker.fleet;

import dev.coderun.events.DrainWorker;
import dev.coderun.events.FleetDirective;
import dev.coderun.events.UndrainWorker;
import dev.coderun.events.WorkerHeartbeat.RunAttempt;
import dev.coderun.worker.WorkerProperties;
import dev.coderun.worker.execution.ActiveRuns;
import dev.coderun.worker.execution.ClaimedRun;
import dev.coderun.worker.execution.StopCause;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Applies the operator's {@link FleetDirective}s naming this worker to its {@link Drain} state, and keeps the drain's
 * deadline: past it, every run still held is stopped {@link StopCause#HANDED_BACK} and listed as handed back in the
 * heartbeats for {@link #HANDED_BACK_LISTED_FOR}, so the scheduler gives it up at once; the fence ({@link #fence})
 * hands back the same way, and holds the worker's intake until those attempts are settled. The dispatch consumer asks
 * {@link #takesWork()} before each poll; the heartbeat carries {@link #state()}. A directive published before this
 * worker process started ({@code at} earlier than its start) does not apply, so a restarted worker starts active even
 * though the control topic is read again from its look-back. Thread-safe.
 */
@Component
public class DrainControl implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DrainControl.class);

    /** How late a drained state or a deadline is noticed at most; a check is a comparison. */
    static final Duration CHECK_INTERVAL = Duration.ofMillis(250);
    /**
     * How long a handed-back attempt stays in the heartbeats: several heartbeats, and well past the scheduler's lease
     * timeout (15 s), by which the lease settles the attempt even if the scheduler missed every one of them.
     */
    static final Duration HANDED_BACK_LISTED_FOR = Duration.ofMinutes(1);
    /** Bounds the list a heartbeat carries; the oldest go first (the lease settles them). */
    static final int HANDED_BACK_LISTED_AT_MOST = 1000;

    private final String workerId;
    private final ActiveRuns activeRuns;
    private final Clock clock;
    private final Instant startedAt;
    private Drain drain = Drain.active();
    private final Deque<HandedBack> handedBack = new ArrayDeque<>();
    /** Whether the fence is up: no heartbeat acknowledged for {@code fence-after} (heartbeat.Fence). */
    private boolean fenced;
    /** Attempts the fence killed whose {@code StopRun} (the scheduler giving them up) was not read yet. */
    private final Map<RunAttempt, Instant> fencedUnsettled = new HashMap<>();
    private ScheduledExecutorService timer;

    DrainControl(WorkerProperties properties, ActiveRuns activeRuns, Clock clock) {
        this.workerId = properties.id();
        this.activeRuns = activeRuns;
        this.clock = clock;
        this.startedAt = clock.instant();
    }

    /** Applies the directive if it names this worker and was published after this worker started. */
    public void apply(FleetDirective directive) {
        if (!directive.workerId().equals(workerId)) {
            return;
        }
        Instant at = switch (directive) {
            case DrainWorker drainWorker -> drainWorker.at();
            case UndrainWorker undrainWorker -> undrainWorker.at();
        };
        if (at == null || at.isBefore(startedAt)) {
            log.info("ignoring {}: published before this worker started at {}", directive, startedAt);
            return;
        }
        Drain next;
        synchronized (this) {
            next = switch (directive) {
                case DrainWorker drainWorker -> drain.onDrain(drainWorker.deadline(), activeRuns.busy());
                case UndrainWorker ignored -> drain.onUndrain();
            };
            drain = next;
            notifyAll();
        }
        log.info("{}: worker {} is now {} (deadline {}), holding {}", directive.getClass().getSimpleName(), workerId,
                next.mode().wire(), next.deadline(), activeRuns.claimed());
        check();
    }

    /**
     * Whether the worker takes dispatches now: it is not drained or draining, not fenced, and the scheduler gave up
     * every attempt the fence killed (see {@link #fence}).
     */
    public synchronized boolean takesWork() {
        return drain.takesWork() && !fenced && fencedUnsettled.isEmpty();
    }

    /** Waits until the worker takes dispatches again; returns false if it did not within {@code timeout}. */
    public synchronized boolean awaitTakesWork(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!takesWork()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** The current state, as the heartbeat reports it. */
    public synchronized Drain state() {
        return drain;
    }

    /** The attempts handed back within {@link #HANDED_BACK_LISTED_FOR}, oldest first. */
    public synchronized List<RunAttempt> handedBack() {
        Instant since = clock.instant().minus(HANDED_BACK_LISTED_FOR);
        while (!handedBack.isEmpty() && handedBack.peekFirst().at().isBefore(since)) {
            handedBack.removeFirst();
        }
        return handedBack.stream().map(HandedBack::attempt).toList();
    }

    /** Moves a draining worker that holds no run to drained, and hands the runs back once the deadline passed. */
    void check() {
        Drain current;
        synchronized (this) {
            drain = drain.onTick(activeRuns.busy());
            current = drain;
            Instant expired = clock.instant().minus(HANDED_BACK_LISTED_FOR);
            if (fencedUnsettled.values().removeIf(at -> at.isBefore(expired))) {
                notifyAll();
            }
        }
        if (current.handBackDue(clock.instant())) {
            handBackAll("drain deadline " + current.deadline() + " passed");
        }
    }

    /**
     * Stops every run still held {@link StopCause#HANDED_BACK} (killed, unreported) and lists it as handed back in the
     * heartbeats, so the scheduler runs it again as its next attempt at once.
     */
    public void handBackAll(String why) {
        List<ClaimedRun> stopped = handBack(StopCause.HANDED_BACK, false);
        if (!stopped.isEmpty()) {
            log.warn("{}: handing back {} (killed, unreported; the scheduler runs them again as their next attempt "
                    + "while max_attempts allow)", why, stopped);
        }
    }

    /**
     * The fence is up (no heartbeat acknowledged for {@code fence-after}): stops every run still held
     * {@link StopCause#FENCED} (killed, unreported) and lists it as handed back in the heartbeats, so the scheduler
     * gives it up as soon as one of them gets through instead of at its lease timeout. The worker takes no dispatch
     * until the fence is down and the scheduler gave every such attempt up: until this worker read its
     * {@code StopRun} ({@link #settled}), or {@link #HANDED_BACK_LISTED_FOR} passed (the lease has settled it by
     * then). Taking runs before would let the records show them beside attempts the scheduler still counts as running
     * here. Answers the runs stopped now.
     */
    public List<ClaimedRun> fence() {
        return handBack(StopCause.FENCED, true);
    }

    /** Whether the fence is up. */
    public synchronized boolean fenced() {
        return fenced;
    }

    /** Heartbeats are acknowledged again; the worker takes work once the attempts the fence killed are settled. */
    public synchronized void unfence() {
        fenced = false;
        notifyAll();
    }

    /**
     * Stops every run still held for {@code cause} and lists it as handed back in the heartbeats; with
     * {@code byFence}, also marks the worker fenced and holds its intake until each of them is settled.
     */
    private List<ClaimedRun> handBack(StopCause cause, boolean byFence) {
        List<ClaimedRun> stopped = activeRuns.stopAll(cause);
        Instant now = clock.instant();
        synchronized (this) {
            fenced |= byFence;
            for (ClaimedRun run : stopped) {
                RunAttempt attempt = new RunAttempt(run.runId(), run.attempt());
                handedBack.addLast(new HandedBack(attempt, now));
                if (byFence) {
                    fencedUnsettled.put(attempt, now);
                }
            }
            while (handedBack.size() > HANDED_BACK_LISTED_AT_MOST) {
                handedBack.removeFirst();
            }
        }
        return stopped;
    }

    /** The scheduler stopped {@code attempt} (its {@code StopRun} was read): given up, if the fence had killed it. */
    public synchronized void settled(RunAttempt attempt) {
        if (fencedUnsettled.remove(attempt) != null) {
            notifyAll();
        }
    }

    private record HandedBack(RunAttempt attempt, Instant at) {}

    @Override
    public void start() {
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("drain-check").daemon().factory());
        long ms = CHECK_INTERVAL.toMillis();
        timer.scheduleWithFixedDelay(() -> {
            try {
                check();
            } catch (RuntimeException e) {
                // A failed check must not cancel the schedule.
                log.error("checking the drain failed", e);
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        timer.shutdownNow();
        timer = null;
    }

    @Override
    public boolean isRunning() {
        return timer != null;
    }
}
