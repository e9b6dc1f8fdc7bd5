package dev.coderun.gateway.projection;

import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunAccepted;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStatus;
import dev.coderun.gateway.runs.PostgresRunRepository;
import java.nio.ByteBuffer;
import java.time.ZoneOffset;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/**
 * Materializes run events and output chunks into the read model. Each event is applied in one transaction that locks
 * the run's row, asks {@link RunFold} and, when the event applies, updates the row and appends the transition through
 * {@link PostgresRunRepository#appendTransition}. Statuses are bound from {@link RunStatus}, never spelled in SQL.
 */
@Component
class PostgresRunProjection {

    private static final Logger log = LoggerFactory.getLogger(PostgresRunProjection.class);

    private final DatabaseClient db;
    private final PostgresRunRepository runs;
    private final TransactionalOperator tx;

    PostgresRunProjection(DatabaseClient db, PostgresRunRepository runs, TransactionalOperator tx) {
        this.db = db;
        this.runs = runs;
        this.tx = tx;
    }

    Mono<Void> apply(RunEvent event) {
        if (event instanceof RunAccepted accepted) {
            return runs.insertPending(accepted.spec(), accepted.at()).as(tx::transactional);
        }
        UUID id = UUID.fromString(event.runId());
        return db.sql("select status, attempt from runs where id = :id for update")
                .bind("id", id)
                .map(row -> new Current(RunStatus.valueOf(row.get("status", String.class)),
                        row.get("attempt", Integer.class)))
                .one()
                .switchIfEmpty(Mono.fromRunnable(() -> log.warn("run {}: {} for a run the read model lacks",
                        event.runId(), event.status())))
                .flatMap(current -> {
                    if (!RunFold.applies(current.status(), current.attempt(), event)) {
                        log.debug("run {}: {} after {} ignored", event.runId(), event.status(), current.status());
                        return Mono.<Void>empty();
                    }
                    int attempt = RunFold.attemptOf(event, current.attempt());
                    return update(id, event, attempt)
                            .then(runs.appendTransition(id, RunFold.transitionOf(event, attempt)));
                })
                .as(tx::transactional)
                .then();
    }

    Mono<Void> store(OutputChunk chunk) {
        return db.sql("""
                insert into run_output_chunks (run_id, attempt, seq, stream, data)
                values (:id, :attempt, :seq, :stream, :data) on conflict do nothing
                """)
                .bind("id", UUID.fromString(chunk.runId()))
                .bind("attempt", chunk.attempt())
                .bind("seq", chunk.seq())
                .bind("stream", chunk.stream().name())
                .bind("data", ByteBuffer.wrap(chunk.data()))
                .fetch()
                .rowsUpdated()
                .then();
    }

    private Mono<Void> update(UUID id, RunEvent event, int attempt) {
        var at = event.at().atOffset(ZoneOffset.UTC);
        DatabaseClient.GenericExecuteSpec spec = switch (event) {
            // Queued for an attempt no worker holds yet: a re-queued run forgets the worker it lost.
            case RunQueued q -> db.sql("""
                    update runs set status = :status, attempt = :attempt, worker_id = null,
                      queued_at = coalesce(queued_at, :at), updated_at = :at
                    where id = :id
                    """);
            case RunStarting s -> db.sql("""
                    update runs set status = :status, attempt = :attempt, worker_id = :worker, updated_at = :at
                    where id = :id
                    """).bind("worker", s.workerId());
            case RunStarted s -> db.sql("""
                    update runs set status = :status, attempt = :attempt, worker_id = :worker, started_at = :at,
                      updated_at = :at
                    where id = :id
                    """).bind("worker", s.workerId());
            case RunFinished f -> finished(f);
            case RunAccepted a -> throw new IllegalStateException("handled before");
        };
        return spec.bind("id", id)
                .bind("status", event.status().name())
                .bind("attempt", attempt)
                .bind("at", at)
                .fetch()
                .rowsUpdated()
                .then();
    }

    private DatabaseClient.GenericExecuteSpec finished(RunFinished f) {
        var spec = db.sql("""
                update runs set status = :status, attempt = :attempt, worker_id = coalesce(:worker, worker_id),
                  exit_code = :exit_code, duration_ms = :duration_ms, termination_reason = :reason,
                  error_code = :error_code, error_message = :error_message,
                  stdout_bytes = :stdout_bytes, stderr_bytes = :stderr_bytes,
                  stdout_truncated = :stdout_truncated, stderr_truncated = :stderr_truncated,
                  output_chunks = :chunks, finished_at = :at, updated_at = :at
                where id = :id
                """)
                .bind("stdout_bytes", f.output().stdoutBytes())
                .bind("stderr_bytes", f.output().stderrBytes())
                .bind("stdout_truncated", f.output().stdoutTruncated())
                .bind("stderr_truncated", f.output().stderrTruncated())
                .bind("chunks", f.output().chunks());
        spec = f.workerId() == null ? spec.bindNull("worker", String.class) : spec.bind("worker", f.workerId());
        spec = f.exitCode() == null ? spec.bindNull("exit_code", Integer.class) : spec.bind("exit_code", f.exitCode());
        spec = f.durationMs() == null
                ? spec.bindNull("duration_ms", Long.class) : spec.bind("duration_ms", f.durationMs());
        spec = f.terminationReason() == null
                ? spec.bindNull("reason", String.class) : spec.bind("reason", f.terminationReason());
        if (f.error() == null) {
            spec = spec.bindNull("error_code", String.class).bindNull("error_message", String.class);
        } else {
            spec = spec.bind("error_code", f.error().code()).bind("error_message", f.error().message());
        }
        return spec;
    }

    private record Current(RunStatus status, int attempt) {}
}
