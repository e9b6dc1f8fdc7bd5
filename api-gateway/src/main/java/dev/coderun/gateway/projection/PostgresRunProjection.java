package dev.coderun.gateway.projection;

import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunAccepted;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStatus;
import dev.coderun.gateway.runs.PostgresRunRepository;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Materializes run events and output chunks into the read model. A poll's events are applied in one transaction
 * ({@link #applyAll}): it locks the rows of their runs, asks {@link RunFold} for each event in order and, for each that
 * applies, updates the row, then appends all their transitions in one statement. A single event ({@link #apply}) goes
 * the same way alone. Statuses are bound from {@link RunStatus}, never spelled in SQL.
 */
@Component
class PostgresRunProjection {

    private static final Logger log = LoggerFactory.getLogger(PostgresRunProjection.class);

    /** Output chunks are at most 512 KiB each (worker {@code output.chunk-size}): 64 keep a statement under 44 MiB. */
    static final int CHUNKS_PER_STATEMENT = 64;

    private final DatabaseClient db;
    private final PostgresRunRepository runs;
    private final TransactionalOperator tx;

    PostgresRunProjection(DatabaseClient db, PostgresRunRepository runs, TransactionalOperator tx) {
        this.db = db;
        this.runs = runs;
        this.tx = tx;
    }

    Mono<Void> apply(RunEvent event) {
        return applyAll(List.of(event));
    }

    /** {@link #apply(RunEvent)}; a run row it creates takes its trace id from {@code traceIds} (by run id). */
    Mono<Void> apply(RunEvent event, Map<String, String> traceIds) {
        return applyAll(List.of(event), traceIds);
    }

    Mono<Void> applyAll(List<RunEvent> events) {
        return applyAll(events, Map.of());
    }

    /**
     * Applies events in their order in one transaction. Runs are accepted first (the rows a later event of the same
     * run needs); the other events are folded against their runs' locked rows, in memory, so each that applies costs
     * one update, and their transitions are appended together.
     */
    Mono<Void> applyAll(List<RunEvent> events, Map<String, String> traceIds) {
        Map<Instant, List<RunSpec>> acceptedAt = new LinkedHashMap<>();
        List<RunEvent> moves = new ArrayList<>();
        for (RunEvent event : events) {
            if (event instanceof RunAccepted accepted) {
                acceptedAt.computeIfAbsent(accepted.at(), at -> new ArrayList<>()).add(accepted.spec());
            } else {
                moves.add(event);
            }
        }
        Mono<Void> accept = Flux.fromIterable(acceptedAt.entrySet())
                .concatMap(group -> runs.insertPendingAll(group.getValue(),
                        group.getValue().stream().map(spec -> traceIds.get(spec.runId())).toList(), group.getKey()))
                .then();
        Mono<Void> move = moves.isEmpty() ? Mono.empty() : lock(moves).flatMap(current -> fold(moves, current));
        return accept.then(move).as(tx::transactional);
    }

    /** The status and attempt of the runs these events are of, their rows locked until the transaction ends. */
    private Mono<Map<UUID, Current>> lock(List<RunEvent> events) {
        UUID[] ids = events.stream().map(event -> UUID.fromString(event.runId())).distinct().toArray(UUID[]::new);
        return db.sql("select id, status, attempt from runs where id = any(:ids) order by id for update")
                .bind("ids", ids)
                .map(row -> Map.entry(row.get("id", UUID.class), new Current(
                        RunStatus.valueOf(row.get("status", String.class)), row.get("attempt", Integer.class))))
                .all()
                .collectMap(Map.Entry::getKey, Map.Entry::getValue, HashMap::new);
    }

    private Mono<Void> fold(List<RunEvent> events, Map<UUID, Current> current) {
        List<Applied> applied = new ArrayList<>();
        for (RunEvent event : events) {
            UUID id = UUID.fromString(event.runId());
            Current now = current.get(id);
            if (now == null) {
                log.warn("run {}: {} for a run the read model lacks", event.runId(), event.status());
                continue;
            }
            if (!RunFold.applies(now.status(), now.attempt(), event)) {
                log.debug("run {}: {} after {} ignored", event.runId(), event.status(), now.status());
                continue;
            }
            int attempt = RunFold.attemptOf(event, now.attempt());
            applied.add(new Applied(id, event, attempt));
            current.put(id, new Current(event.status(), attempt));
        }
        return Flux.fromIterable(applied)
                .concatMap(one -> update(one.id(), one.event(), one.attempt()))
                .then(runs.appendTransitions(applied.stream()
                        .map(one -> Map.entry(one.id(), RunFold.transitionOf(one.event(), one.attempt())))
                        .toList()));
    }

    Mono<Void> store(OutputChunk chunk) {
        return storeAll(List.of(chunk));
    }

    /**
     * Stores output chunks, {@link #CHUNKS_PER_STATEMENT} to a statement; a chunk already stored (a redelivery) is
     * kept as it was.
     */
    Mono<Void> storeAll(List<OutputChunk> chunks) {
        return Flux.fromIterable(chunks).buffer(CHUNKS_PER_STATEMENT).concatMap(this::insertChunks).then();
    }

    private Mono<Void> insertChunks(List<OutputChunk> chunks) {
        int n = chunks.size();
        UUID[] ids = new UUID[n];
        Integer[] attempts = new Integer[n];
        Integer[] seqs = new Integer[n];
        String[] streams = new String[n];
        String[] data = new String[n];
        for (int i = 0; i < n; i++) {
            OutputChunk chunk = chunks.get(i);
            ids[i] = UUID.fromString(chunk.runId());
            attempts[i] = chunk.attempt();
            seqs[i] = chunk.seq();
            streams[i] = chunk.stream().name();
            // As base64 text: an array of text cannot carry the NUL bytes output may hold; decoded to bytea below.
            data[i] = Base64.getEncoder().encodeToString(chunk.data());
        }
        return db.sql("""
                insert into run_output_chunks (run_id, attempt, seq, stream, data)
                select c.id, c.attempt, c.seq, c.stream, decode(c.data, 'base64')
                from unnest(:ids::uuid[], :attempts::int4[], :seqs::int4[], :streams::text[], :data::text[])
                  as c(id, attempt, seq, stream, data)
                on conflict do nothing
                """)
                .bind("ids", ids)
                .bind("attempts", attempts)
                .bind("seqs", seqs)
                .bind("streams", streams)
                .bind("data", data)
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

    private record Applied(UUID id, RunEvent event, int attempt) {}
}
