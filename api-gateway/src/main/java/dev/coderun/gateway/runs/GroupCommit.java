package dev.coderun.gateway.runs;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Group commit for submissions, decided purely: entries are queued per lane (a handle), at most {@code maxInFlight}
 * groups of a lane run at once, and entries that arrive while a lane is full wait and leave together as the next
 * group, at most {@code maxGroup} of them. Nothing waits on a timer: an entry arriving at an idle lane leaves at once,
 * alone; under load the groups grow by themselves, so each database statement and Kafka batch serves many requests.
 *
 * <p>The caller runs every group it is handed and calls {@link #finished} once per group, whatever its outcome; each
 * entry is handed out exactly once, in arrival order within its lane. Thread-safe.
 */
final class GroupCommit<K, E> {

    private final int maxInFlight;
    private final int maxGroup;
    private final Map<K, Lane<E>> lanes = new HashMap<>();

    GroupCommit(int maxInFlight, int maxGroup) {
        if (maxInFlight < 1 || maxGroup < 1) {
            throw new IllegalArgumentException("maxInFlight and maxGroup must be at least 1");
        }
        this.maxInFlight = maxInFlight;
        this.maxGroup = maxGroup;
    }

    /** Queues {@code entry}; answers a group to run now (it may hold earlier entries too), or an empty list. */
    synchronized List<E> offer(K lane, E entry) {
        Lane<E> l = lanes.computeIfAbsent(lane, k -> new Lane<>());
        l.waiting.add(entry);
        return next(lane, l);
    }

    /** One group of {@code lane} is done; answers the next group to run now, or an empty list. */
    synchronized List<E> finished(K lane) {
        Lane<E> l = lanes.get(lane);
        if (l == null || l.running == 0) {
            throw new IllegalStateException("no group of lane " + lane + " is running");
        }
        l.running--;
        return next(lane, l);
    }

    /** How many lanes hold a running group or waiting entries (idle lanes are forgotten). */
    synchronized int activeLanes() {
        return lanes.size();
    }

    private List<E> next(K lane, Lane<E> l) {
        if (l.waiting.isEmpty() || l.running >= maxInFlight) {
            if (l.running == 0 && l.waiting.isEmpty()) {
                lanes.remove(lane);
            }
            return List.of();
        }
        List<E> group = new ArrayList<>(Math.min(maxGroup, l.waiting.size()));
        while (group.size() < maxGroup && !l.waiting.isEmpty()) {
            group.add(l.waiting.poll());
        }
        l.running++;
        return group;
    }

    private static final class Lane<E> {
        final ArrayDeque<E> waiting = new ArrayDeque<>();
        int running;
    }
}
