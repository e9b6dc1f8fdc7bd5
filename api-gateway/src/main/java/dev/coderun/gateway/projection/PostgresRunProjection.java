package dev.coderun.gateway.projection;

import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunAccepted;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RunStatus;
import dev.coderun.gateway.runs.PostgresRunRepository;
import dev.coderun.gateway.runs.RunRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.OptimisticLockingFailureException;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Materializes run events and output chunks into the read model. A poll's events ({@link #applyAll}) cost two round
 * trips when the rows of their runs exist (the gateway wrote them PENDING when it accepted them): one reads the status
 * and attempt of their runs, except of those the projector already knows (what it last read or wrote of a run that has
 * not ended, so a run's later polls cost one round trip); then, with {@link RunFold} asked about each event in order
 * and each that applies folded into its run's {@link RowPatch}, one statement writes every patch and appends all their
 * transitions, each row's only while it still holds the status and attempt that were read or known. A
 * {@code RunAccepted} whose row exists costs nothing more; one whose row is missing (its gateway has not written it
 * yet, or failed to) is inserted first, and the other events are then read again. A run whose row changed in between
 * (another projector instance got to it during a rebalance) is read and folded again. A single event ({@link #apply})
 * goes the same way alone. Each statement answers in one row of arrays, not a row per run. Statuses are bound from
 * {@link RunStatus}, never spelled in SQL.
 *
 * <p>There is no transaction around a poll: each statement stands alone, and applying is idempotent (an accepted run
 * already stored is kept; {@link RunFold} ignores an event already applied), so a poll that failed part-way is applied
 * again whole.
 */
@Component
class PostgresRunProjection {

    private static final Logger log = LoggerFactory.getLogger(PostgresRunProjection.class);

    /** Output chunks are at most 512 KiB each (worker {@code output.chunk-size}): 64 keep a statement under 44 MiB. */
    static final int CHUNKS_PER_STATEMENT = 64;

    /** How many times a poll's moves are read and written before rows that keep changing fail it. */
    static final int MOVE_TRIES = 5;

    /** Runs {@link #known} holds at most; past it, it starts over (each entry is a guess, never needed). */
    static final int MAX_KNOWN = 100_000;

    private final DatabaseClient db;
    private final PostgresRunRepository runs;
    /**
     * The status and attempt this projector last read or wrote for each run that has not ended: a poll whose runs are
     * all here skips the read. Only a guess: the write applies to a row only while it still holds what was guessed, so
     * a row another projector moved meanwhile is read and folded again, as after any read.
     */
    private final Map<UUID, Current> known = new ConcurrentHashMap<>();
    private final AtomicLong reads = new AtomicLong();

    PostgresRunProjection(DatabaseClient db, PostgresRunRepository runs) {
        this.db = db;
        this.runs = runs;
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
     * Applies events in their order. Runs are accepted first (the rows a later event of the same run needs), inserted
     * only when the read finds no row; the other events are folded against their runs' rows in memory, and what
     * applies is written in one statement.
     */
    Mono<Void> applyAll(List<RunEvent> events, Map<String, String> traceIds) {
        if (events.isEmpty()) {
            return Mono.empty();
        }
        List<RunAccepted> accepted = new ArrayList<>();
        List<RunEvent> moves = new ArrayList<>();
        for (RunEvent event : events) {
            if (event instanceof RunAccepted one) {
                accepted.add(one);
            } else {
                moves.add(event);
            }
        }
        return readUnknown(events).flatMap(current -> {
            Map<Instant, List<RunSpec>> missingAt = new LinkedHashMap<>();
            for (RunAccepted one : accepted) {
                if (!current.containsKey(UUID.fromString(one.runId()))) {
                    missingAt.computeIfAbsent(one.at(), at -> new ArrayList<>()).add(one.spec());
                }
            }
            if (missingAt.isEmpty()) {
                return moves.isEmpty() ? Mono.empty() : moveFrom(moves, current, MOVE_TRIES);
            }
            Mono<Void> insert = Flux.fromIterable(missingAt.entrySet())
                    .concatMap(group -> runs.insertPendingAll(group.getValue(),
                            group.getValue().stream().map(spec -> traceIds.get(spec.runId())).toList(),
                            group.getKey()))
                    .then();
            return insert.then(moves.isEmpty() ? Mono.empty() : move(moves, MOVE_TRIES));
        });
    }

    /**
     * Reads, folds and writes {@code events}; the events of runs whose rows changed after the read go round again.
     */
    private Mono<Void> move(List<RunEvent> events, int tries) {
        return read(events).flatMap(current -> moveFrom(events, current, tries));
    }

    /** Folds {@code events} against {@code current} (as read) and writes them; {@link #move} again what changed. */
    private Mono<Void> moveFrom(List<RunEvent> events, Map<UUID, Current> current, int tries) {
        return foldAndWrite(events, current).flatMap(changedMeanwhile -> {
            if (changedMeanwhile.isEmpty()) {
                return Mono.empty();
            }
            if (tries <= 1) {
                return Mono.error(new OptimisticLockingFailureException("the rows of runs " + changedMeanwhile
                        + " changed under the projector " + MOVE_TRIES + " times in a row"));
            }
            return move(events.stream()
                    .filter(event -> changedMeanwhile.contains(UUID.fromString(event.runId())))
                    .toList(), tries - 1);
        });
    }

    /**
     * The status and attempt of the runs these events are of (none for a run without a row): {@link #known}'s for the
     * runs it holds, read for the others (no statement when it holds them all).
     */
    private Mono<Map<UUID, Current>> readUnknown(List<RunEvent> events) {
        Map<UUID, Current> guessed = new HashMap<>();
        List<UUID> unknown = new ArrayList<>();
        for (RunEvent event : events) {
            UUID id = UUID.fromString(event.runId());
            Current guess = known.get(id);
            if (guess != null) {
                guessed.put(id, guess);
            } else if (!unknown.contains(id)) {
                unknown.add(id);
            }
        }
        if (unknown.isEmpty()) {
            return Mono.just(guessed);
        }
        return read(unknown).map(found -> {
            guessed.putAll(found);
            return guessed;
        });
    }

    /** The status and attempt of the runs these events are of (none for a run without a row). */
    private Mono<Map<UUID, Current>> read(List<RunEvent> events) {
        return read(events.stream().map(event -> UUID.fromString(event.runId())).distinct().toList());
    }

    /** The status and attempt of these runs, read (none for a run without a row); remembered in {@link #known}. */
    private Mono<Map<UUID, Current>> read(Collection<UUID> runIds) {
        UUID[] ids = runIds.toArray(UUID[]::new);
        reads.incrementAndGet();
        return db.sql("select array_agg(id order by id) as ids, array_agg(status order by id) as statuses,"
                        + " array_agg(attempt order by id) as attempts"
                        + " from runs where id = any(:ids)")
                .bind("ids", ids)
                .map(row -> {
                    Map<UUID, Current> current = new HashMap<>();
                    UUID[] found = row.get("ids", UUID[].class);
                    if (found != null) {
                        String[] statuses = row.get("statuses", String[].class);
                        Integer[] attempts = row.get("attempts", Integer[].class);
                        for (int i = 0; i < found.length; i++) {
                            current.put(found[i], new Current(RunStatus.valueOf(statuses[i]), attempts[i]));
                        }
                    }
                    current.forEach(this::remember);
                    return current;
                })
                .one();
    }

    /** Keeps {@code now} as the guess for the run, or drops the run once it ended (no event moves it further). */
    private void remember(UUID id, Current now) {
        if (now.status().isTerminal()) {
            known.remove(id);
            return;
        }
        if (known.size() >= MAX_KNOWN) {
            known.clear();
        }
        known.put(id, now);
    }

    /** How many reads this projector has made: a poll whose runs it knows makes none. */
    long reads() {
        return reads.get();
    }

    /**
     * Folds and writes; the ids of the runs whose rows no longer held what was read, so nothing of them was written.
     */
    Mono<Set<UUID>> foldAndWrite(List<RunEvent> events, Map<UUID, Current> current) {
        List<Applied> applied = new ArrayList<>();
        Map<UUID, RowPatch> patches = new LinkedHashMap<>();
        Map<UUID, Current> read = Map.copyOf(current);
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
            patches.computeIfAbsent(id, RowPatch::new).add(event, attempt);
            current.put(id, new Current(event.status(), attempt));
        }
        if (patches.isEmpty()) {
            return Mono.just(Set.of());
        }
        return write(patches.values(), read, applied).map(written -> {
            Set<UUID> changed = new HashSet<>(patches.keySet());
            changed.removeAll(written);
            for (UUID id : written) {
                remember(id, current.get(id));
            }
            changed.forEach(known::remove);
            return changed;
        });
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

    /**
     * Writes every patch and appends the applied events' transitions in one statement, so a poll's events cost one
     * round trip. A row is updated only while it holds the status and attempt in {@code read}, and only an updated
     * row's transitions are appended; the ids of the rows updated come back.
     */
    private Mono<Set<UUID>> write(Collection<RowPatch> patches, Map<UUID, Current> read, List<Applied> applied) {
        int n = patches.size();
        UUID[] ids = new UUID[n];
        String[] readStatuses = new String[n];
        Integer[] readAttempts = new Integer[n];
        String[] statuses = new String[n];
        Integer[] attempts = new Integer[n];
        String[] workerChanges = new String[n];
        String[] workers = new String[n];
        String[] queuedAts = new String[n];
        String[] startedAts = new String[n];
        Boolean[] finished = new Boolean[n];
        Integer[] exitCodes = new Integer[n];
        Long[] durations = new Long[n];
        String[] reasons = new String[n];
        String[] errorCodes = new String[n];
        String[] errorMessages = new String[n];
        Long[] stdoutBytes = new Long[n];
        Long[] stderrBytes = new Long[n];
        Boolean[] stdoutTruncated = new Boolean[n];
        Boolean[] stderrTruncated = new Boolean[n];
        Integer[] chunks = new Integer[n];
        String[] updatedAts = new String[n];
        int i = 0;
        for (RowPatch patch : patches) {
            ids[i] = patch.id;
            readStatuses[i] = read.get(patch.id).status().name();
            readAttempts[i] = read.get(patch.id).attempt();
            statuses[i] = patch.status.name();
            attempts[i] = patch.attempt;
            workerChanges[i] = patch.workerChange.name();
            workers[i] = patch.worker;
            queuedAts[i] = patch.queuedAt == null ? null : patch.queuedAt.toString();
            startedAts[i] = patch.startedAt == null ? null : patch.startedAt.toString();
            updatedAts[i] = patch.updatedAt.toString();
            RunFinished end = patch.finished;
            finished[i] = end != null;
            if (end != null) {
                exitCodes[i] = end.exitCode();
                durations[i] = end.durationMs();
                reasons[i] = end.terminationReason();
                errorCodes[i] = end.error() == null ? null : end.error().code();
                errorMessages[i] = end.error() == null ? null : end.error().message();
                stdoutBytes[i] = end.output().stdoutBytes();
                stderrBytes[i] = end.output().stderrBytes();
                stdoutTruncated[i] = end.output().stdoutTruncated();
                stderrTruncated[i] = end.output().stderrTruncated();
                chunks[i] = end.output().chunks();
            }
            i++;
        }
        int m = applied.size();
        UUID[] tIds = new UUID[m];
        String[] tStatuses = new String[m];
        Integer[] tAttempts = new Integer[m];
        String[] tAts = new String[m];
        String[] tReasons = new String[m];
        String[] tWorkers = new String[m];
        for (int k = 0; k < m; k++) {
            Applied one = applied.get(k);
            RunRecord.Transition transition = RunFold.transitionOf(one.event(), one.attempt());
            tIds[k] = one.id();
            tStatuses[k] = transition.status().name();
            tAttempts[k] = transition.attempt();
            tAts[k] = transition.at().toString();
            tReasons[k] = transition.reason();
            tWorkers[k] = transition.workerId();
        }
        return db.sql("""
                with moved as (
                  update runs r set status = u.status, attempt = u.attempt,
                    worker_id = case u.worker_change when 'CLEAR' then null when 'SET' then u.worker
                      else r.worker_id end,
                    queued_at = coalesce(r.queued_at, u.queued_at::timestamptz),
                    started_at = coalesce(u.started_at::timestamptz, r.started_at),
                    exit_code = case when u.finished then u.exit_code else r.exit_code end,
                    duration_ms = case when u.finished then u.duration_ms else r.duration_ms end,
                    termination_reason = case when u.finished then u.reason else r.termination_reason end,
                    error_code = case when u.finished then u.error_code else r.error_code end,
                    error_message = case when u.finished then u.error_message else r.error_message end,
                    stdout_bytes = case when u.finished then u.stdout_bytes else r.stdout_bytes end,
                    stderr_bytes = case when u.finished then u.stderr_bytes else r.stderr_bytes end,
                    stdout_truncated = case when u.finished then u.stdout_truncated else r.stdout_truncated end,
                    stderr_truncated = case when u.finished then u.stderr_truncated else r.stderr_truncated end,
                    output_chunks = case when u.finished then u.chunks else r.output_chunks end,
                    finished_at = case when u.finished then u.updated_at::timestamptz else r.finished_at end,
                    updated_at = u.updated_at::timestamptz
                  from unnest(:ids::uuid[], :read_statuses::text[], :read_attempts::int4[], :statuses::text[],
                    :attempts::int4[], :worker_changes::text[], :workers::text[], :queued_ats::text[],
                    :started_ats::text[], :finished::bool[], :exit_codes::int4[], :durations::int8[],
                    :reasons::text[], :error_codes::text[], :error_messages::text[], :stdout_bytes::int8[],
                    :stderr_bytes::int8[], :stdout_truncated::bool[], :stderr_truncated::bool[], :chunks::int4[],
                    :updated_ats::text[])
                    as u(id, read_status, read_attempt, status, attempt, worker_change, worker, queued_at, started_at,
                      finished, exit_code, duration_ms, reason, error_code, error_message, stdout_bytes, stderr_bytes,
                      stdout_truncated, stderr_truncated, chunks, updated_at)
                  where r.id = u.id and r.status = u.read_status and r.attempt = u.read_attempt
                  returning r.id
                ), appended as (
                  insert into run_transitions (run_id, status, attempt, at, reason, worker_id)
                  select t.id, t.status, t.attempt, t.at::timestamptz, t.reason, t.worker
                  from unnest(:t_ids::uuid[], :t_statuses::text[], :t_attempts::int4[], :t_ats::text[],
                    :t_reasons::text[], :t_workers::text[])
                    with ordinality as t(id, status, attempt, at, reason, worker, n)
                  where t.id in (select id from moved)
                  order by t.n
                  on conflict do nothing
                )
                select array_agg(id) as ids from moved
                """)
                .bind("ids", ids)
                .bind("read_statuses", readStatuses)
                .bind("read_attempts", readAttempts)
                .bind("statuses", statuses)
                .bind("attempts", attempts)
                .bind("worker_changes", workerChanges)
                .bind("workers", workers)
                .bind("queued_ats", queuedAts)
                .bind("started_ats", startedAts)
                .bind("finished", finished)
                .bind("exit_codes", exitCodes)
                .bind("durations", durations)
                .bind("reasons", reasons)
                .bind("error_codes", errorCodes)
                .bind("error_messages", errorMessages)
                .bind("stdout_bytes", stdoutBytes)
                .bind("stderr_bytes", stderrBytes)
                .bind("stdout_truncated", stdoutTruncated)
                .bind("stderr_truncated", stderrTruncated)
                .bind("chunks", chunks)
                .bind("updated_ats", updatedAts)
                .bind("t_ids", tIds)
                .bind("t_statuses", tStatuses)
                .bind("t_attempts", tAttempts)
                .bind("t_ats", tAts)
                .bind("t_reasons", tReasons)
                .bind("t_workers", tWorkers)
                .map(row -> {
                    UUID[] moved = row.get("ids", UUID[].class);
                    return moved == null ? Set.<UUID>of() : Set.of(moved);
                })
                .one();
    }

    /** A run's status and attempt as read. */
    record Current(RunStatus status, int attempt) {}

    private record Applied(UUID id, RunEvent event, int attempt) {}
}
