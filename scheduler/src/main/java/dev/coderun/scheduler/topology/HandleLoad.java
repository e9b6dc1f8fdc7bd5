package dev.coderun.scheduler.topology;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The run load of a set of handles: active and queued runs in total, and the busiest handles (most active plus queued
 * runs; ties by name) at most {@code limit} of them, so a per-handle metric has a bounded number of series however
 * many handles there are. Immutable.
 */
record HandleLoad(long active, long queued, List<Busy> busiest) {

    static final HandleLoad NONE = new HandleLoad(0, 0, List.of());

    /** One handle's load. */
    record Busy(String handle, int active, int queued) {
        int total() {
            return active + queued;
        }
    }

    /** Busiest first; equal loads by handle name, so the choice does not depend on iteration order. */
    static final Comparator<Busy> BUSIEST_FIRST =
            Comparator.comparingInt(Busy::total).reversed().thenComparing(Busy::handle);

    HandleLoad {
        busiest = List.copyOf(busiest);
    }

    /** The load of several disjoint sets of handles (e.g. of each stream task), the busiest {@code limit} kept. */
    static HandleLoad merge(Collection<HandleLoad> parts, int limit) {
        Tally all = new Tally(limit);
        for (HandleLoad part : parts) {
            all.active += part.active;
            all.queued += part.queued;
            part.busiest.forEach(all::offer);
        }
        return all.load();
    }

    /** Adds handles one at a time, keeping only the busiest {@code limit}: memory bounded by the limit. */
    static final class Tally {
        private final int limit;
        /** The least busy of the kept handles on top, so it is the one a busier handle replaces. */
        private final PriorityQueue<Busy> kept;
        private long active;
        private long queued;

        Tally(int limit) {
            if (limit < 0) {
                throw new IllegalArgumentException("limit must not be negative: " + limit);
            }
            this.limit = limit;
            this.kept = new PriorityQueue<>(Math.max(1, limit + 1), BUSIEST_FIRST.reversed());
        }

        void add(String handle, int activeRuns, int queuedRuns) {
            active += activeRuns;
            queued += queuedRuns;
            if (activeRuns + queuedRuns > 0) {
                offer(new Busy(handle, activeRuns, queuedRuns));
            }
        }

        private void offer(Busy busy) {
            if (limit == 0) {
                return;
            }
            kept.add(busy);
            if (kept.size() > limit) {
                kept.poll();
            }
        }

        HandleLoad load() {
            List<Busy> busiest = new ArrayList<>(kept);
            busiest.sort(BUSIEST_FIRST);
            return new HandleLoad(active, queued, busiest);
        }
    }
}
