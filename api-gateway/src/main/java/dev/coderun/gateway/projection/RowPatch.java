package dev.coderun.gateway.projection;

import dev.coderun.events.RunAccepted;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStatus;
import java.time.Instant;
import java.util.UUID;

/**
 * What the applied events of one poll change in one run's row, folded in their order, so that a poll costs one update
 * statement whatever it holds. Each event, applied alone, would set:
 * <ul>
 *   <li>{@code RunQueued}: status, attempt, no worker, {@code queued_at} unless the row has one;
 *   <li>{@code RunStarting}: status, attempt, its worker;
 *   <li>{@code RunStarted}: status, attempt, its worker, {@code started_at};
 *   <li>{@code RunFinished}: status, attempt, its worker when it names one, the end's fields and {@code finished_at};
 * </ul>
 * and every one of them {@code updated_at}. Folded, the last event decides status, attempt and {@code updated_at}, the
 * last event that touches the worker decides it, the first {@code RunQueued} gives {@code queued_at} (the row's own
 * wins) and the last {@code RunStarted} gives {@code started_at}.
 */
final class RowPatch {

    /** What becomes of the row's {@code worker_id}. */
    enum WorkerChange { KEEP, CLEAR, SET }

    final UUID id;
    RunStatus status;
    int attempt;
    Instant updatedAt;
    WorkerChange workerChange = WorkerChange.KEEP;
    String worker;
    Instant queuedAt;
    Instant startedAt;
    RunFinished finished;

    RowPatch(UUID id) {
        this.id = id;
    }

    /** Folds in {@code event}, which applies to the run as {@code attempt}. */
    RowPatch add(RunEvent event, int attempt) {
        status = event.status();
        this.attempt = attempt;
        updatedAt = event.at();
        switch (event) {
            case RunQueued queued -> {
                // Queued for an attempt no worker holds yet: a re-queued run forgets the worker it lost.
                setWorker(WorkerChange.CLEAR, null);
                if (queuedAt == null) {
                    queuedAt = queued.at();
                }
            }
            case RunStarting starting -> setWorker(WorkerChange.SET, starting.workerId());
            case RunStarted started -> {
                setWorker(WorkerChange.SET, started.workerId());
                startedAt = started.at();
            }
            case RunFinished end -> {
                if (end.workerId() != null) {
                    setWorker(WorkerChange.SET, end.workerId());
                }
                finished = end;
            }
            case RunAccepted accepted -> throw new IllegalArgumentException("a RunAccepted inserts the row");
        }
        return this;
    }

    private void setWorker(WorkerChange change, String id) {
        workerChange = change;
        worker = id;
    }
}
