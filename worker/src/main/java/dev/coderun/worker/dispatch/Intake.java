package dev.coderun.worker.dispatch;

import dev.coderun.events.DispatchRun;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.AcknowledgeType;

/** What the poll loop does with one record delivered from the dispatch topic, and how it acknowledges it. */
enum Intake {
    /** Execute it here; from the acknowledgement on the run is this worker's. */
    RUN(AcknowledgeType.ACCEPT),
    /**
     * The scheduler stopped this attempt before it was delivered (cancelled, or given up as lost): it must never run.
     * Acknowledged so that it is not delivered again; nothing is reported, as the attempt never started.
     */
    STOPPED(AcknowledgeType.ACCEPT),
    /** This attempt already runs here: a redelivery. Acknowledged so that it is not delivered again. */
    ALREADY_RUNNING(AcknowledgeType.ACCEPT),
    /**
     * No slot is free: give it back for any worker to take. The broker counts the delivery, and after the group's
     * {@code share.delivery.count.limit} deliveries archives the record, so this must stay rare.
     */
    NO_FREE_SLOT(AcknowledgeType.RELEASE),
    /** Not a dispatch this build can read: delivering it again cannot help. */
    UNREADABLE(AcknowledgeType.REJECT);

    final AcknowledgeType acknowledgement;

    Intake(AcknowledgeType acknowledgement) {
        this.acknowledgement = acknowledgement;
    }

    /**
     * A poll's records in the order they are decided: unreadable ones first (they take no slot), then dispatches by the
     * time the scheduler dispatched them, ties in poll order. With fewer free slots than dispatches, the ones released
     * are then the latest dispatched, whichever partition each came from: the broker hands out a poll's records
     * partition by partition, and taken in that order a run dispatched to a quiet handle's partition could be released
     * again and again behind newer dispatches of busier handles.
     */
    static <T> List<T> earliestDispatchFirst(List<T> polled, Function<T, Optional<DispatchRun>> dispatchOf) {
        List<T> ordered = new ArrayList<>(polled);
        ordered.sort(Comparator.comparing(item -> dispatchOf.apply(item).map(DispatchRun::at).orElse(Instant.MIN)));
        return ordered;
    }

    /**
     * @param dispatch the record's dispatch, empty when it could not be read as one
     * @param stopped whether a stop directive covers that run attempt
     * @param alreadyRunning whether this worker runs that run attempt now
     */
    static Intake decide(Optional<DispatchRun> dispatch, boolean stopped, boolean alreadyRunning, int freeSlots) {
        if (dispatch.isEmpty()) {
            return UNREADABLE;
        }
        if (stopped) {
            return STOPPED;
        }
        if (alreadyRunning) {
            return ALREADY_RUNNING;
        }
        return freeSlots > 0 ? RUN : NO_FREE_SLOT;
    }
}
