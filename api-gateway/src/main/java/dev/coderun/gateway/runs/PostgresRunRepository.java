package dev.coderun.gateway.runs;

import dev.coderun.events.RunError;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RunStatus;
import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The run read model in PostgreSQL: the row the gateway writes on accept, and the queries the API serves. */
@Repository
public class PostgresRunRepository {

    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};
    private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {};

    /** Every column of {@code runs} a listing reads: all but {@code stdin}. */
    private static final String LIST_COLUMNS = """
            id, handle, runtime_key, runtime_version, name, command, args, env, cwd, timeout_seconds, max_output_bytes,
            max_attempts, labels, triggered_by, status, attempt, worker_id, exit_code, duration_ms, termination_reason,
            error_code, error_message, created_at, queued_at, started_at, finished_at, updated_at, secret_env_names,
            trace_id""";

    /**
     * The parts {@link #insertPendingAllIf} splits a large group of runs into. PostgreSQL runs a statement on one core,
     * and the rows of 1000 runs were the longest step of accepting a batch of them: from its commands' send to its rows'
     * commit, a median of 80 ms in one statement and 57 ms in two (24 batches each, two cores, README: Performance).
     */
    static final int PARALLEL_INSERTS = 2;

    /** The fewest runs {@link #insertPendingAllIf} splits. */
    static final int PARALLEL_INSERT_MIN_RUNS = 200;

    /** r2dbc-pool's default size, which the gateway keeps unless {@code spring.r2dbc.pool.max-size} says otherwise. */
    static final int DEFAULT_POOL_SIZE = 10;

    private final DatabaseClient db;
    private final JsonMapper json;
    private final TransactionalOperator transactions;
    private final int maxDecisionConnections;
    private final Semaphore decisionConnections;

    /** With r2dbc-pool's default size ({@link #DEFAULT_POOL_SIZE}). */
    public PostgresRunRepository(DatabaseClient db, JsonMapper json) {
        this(db, json, DEFAULT_POOL_SIZE);
    }

    /** @param poolSize the connection pool's size, from which {@link #maxDecisionConnections(int)} is drawn */
    @Autowired
    public PostgresRunRepository(
            DatabaseClient db, JsonMapper json, @Value("${spring.r2dbc.pool.max-size:10}") int poolSize) {
        this.db = db;
        this.json = json;
        this.transactions = TransactionalOperator.create(new R2dbcTransactionManager(db.getConnectionFactory()));
        this.maxDecisionConnections = maxDecisionConnections(poolSize);
        this.decisionConnections = new Semaphore(maxDecisionConnections);
    }

    /**
     * The most connections {@link #insertPendingAllIf}'s transactions hold at once: two fifths of the pool, rounded
     * down (4 of r2dbc-pool's default 10: two split batches). A transaction holds its connection until its decision,
     * which is Kafka's answer and takes up to the producer's delivery bound (seconds) while Kafka is away; unbounded,
     * five such batches would hold every connection and stall every other statement of the gateway. A pool too small
     * to spare one split batch's two spares none, and every group writes its rows after the decision.
     */
    static int maxDecisionConnections(int poolSize) {
        return Math.max(0, poolSize) * 2 / 5;
    }

    /** This repository's {@link #maxDecisionConnections(int)}. */
    int maxDecisionConnections() {
        return maxDecisionConnections;
    }

    /** Inserts the run as PENDING with its first transition; a second call for the same run changes nothing. */
    public Mono<Void> insertPending(RunSpec spec, Instant at) {
        UUID id = UUID.fromString(spec.runId());
        Mono<Long> run = nullable(nullable(db.sql("""
                insert into runs (id, handle, runtime_key, runtime_version, name, command, args, env, stdin, cwd,
                  timeout_seconds, max_output_bytes, max_attempts, labels, triggered_by, status, attempt, created_at,
                  updated_at, secret_env_names)
                values (:id, :handle, :runtime_key, :runtime_version, :name, :command, :args, :env, :stdin, :cwd,
                  :timeout_seconds, :max_output_bytes, :max_attempts, :labels, :triggered_by, :status, :attempt,
                  :created_at, :created_at, :secret_env_names)
                on conflict (id) do nothing
                """)
                .bind("id", id)
                .bind("handle", spec.handle())
                .bind("runtime_key", spec.runtime().key())
                .bind("runtime_version", spec.runtime().version())
                .bind("command", spec.command())
                .bind("args", Json.of(json.writeValueAsString(spec.args())))
                .bind("env", Json.of(json.writeValueAsString(spec.env())))
                .bind("stdin", ByteBuffer.wrap(spec.stdin().getBytes(StandardCharsets.UTF_8)))
                .bind("timeout_seconds", spec.timeoutSeconds())
                .bind("max_output_bytes", spec.maxOutputBytes())
                .bind("max_attempts", spec.maxAttempts())
                .bind("labels", Json.of(json.writeValueAsString(spec.labels())))
                .bind("secret_env_names", Json.of(json.writeValueAsString(spec.secretEnvNames())))
                .bind("triggered_by", spec.triggeredBy())
                .bind("status", RunStatus.PENDING.name())
                .bind("attempt", RunRecord.Transition.PENDING_ATTEMPT)
                .bind("created_at", spec.createdAt().atOffset(ZoneOffset.UTC)), "name", spec.name()),
                "cwd", spec.cwd())
                .fetch()
                .rowsUpdated();
        return run.then(appendTransition(id, RunRecord.Transition.pending(at)));
    }

    /**
     * {@link #insertPending} for many runs in one statement: each run PENDING with its first transition at
     * {@code at}; runs already there (the projector was quicker) are left as they are.
     */
    public Mono<Void> insertPendingAll(List<RunSpec> specs, Instant at) {
        return insertPendingAll(specs, java.util.Collections.nCopies(specs.size(), null), at);
    }

    /**
     * {@link #insertPendingAll(List, List, Instant)} in transactions that end only when {@code keep} answers: committed
     * on true; rolled back on false, on an error or when {@code keep} completes empty, so no reader sees the rows
     * before. The statements run while {@code keep} is still being decided; from {@link #PARALLEL_INSERT_MIN_RUNS} runs
     * on, the runs are split in {@link #PARALLEL_INSERTS} parts written at once on as many connections, each part a
     * transaction of its own. Answers whether the rows were kept: {@code keep}'s answer, or the first error (then a
     * part may have committed). Answers false at once, writing nothing, when the parts would take the transactions
     * past {@link #maxDecisionConnections()}; the caller writes the rows after its decision instead.
     */
    public Mono<Boolean> insertPendingAllIf(List<RunSpec> specs, List<String> traceIds, Instant at, Mono<Boolean> keep) {
        int parts = specs.size() >= PARALLEL_INSERT_MIN_RUNS ? PARALLEL_INSERTS : 1;
        return Mono.defer(() -> {
            if (!decisionConnections.tryAcquire(parts)) {
                return Mono.just(false);
            }
            return insertPendingAllIf(specs, traceIds, at, keep, parts)
                    .doFinally(signal -> decisionConnections.release(parts));
        });
    }

    private Mono<Boolean> insertPendingAllIf(
            List<RunSpec> specs, List<String> traceIds, Instant at, Mono<Boolean> keep, int parts) {
        Mono<Boolean> decision = keep.defaultIfEmpty(false).cache();
        int size = (specs.size() + parts - 1) / parts;
        return Flux.range(0, parts)
                .flatMap(part -> {
                    int from = part * size;
                    int to = Math.min(specs.size(), from + size);
                    return transactions.execute(tx -> insertPendingAll(
                                    specs.subList(from, to), traceIds.subList(from, to), at)
                                    .then(decision)
                                    .doOnNext(kept -> {
                                        if (!kept) {
                                            tx.setRollbackOnly();
                                        }
                                    }))
                            // last(), not next(): next() cancels the transaction on its one value, which rolls it back.
                            .last();
                }, parts)
                .then(decision);
    }

    /** {@link #insertPendingAll(List, Instant)}, run {@code i} with trace id {@code traceIds.get(i)} (nullable). */
    public Mono<Void> insertPendingAll(List<RunSpec> specs, List<String> traceIds, Instant at) {
        if (specs.isEmpty()) {
            return Mono.empty();
        }
        int n = specs.size();
        UUID[] ids = new UUID[n];
        String[] handles = new String[n];
        String[] runtimeKeys = new String[n];
        Long[] runtimeVersions = new Long[n];
        String[] names = new String[n];
        String[] commands = new String[n];
        String[] args = new String[n];
        String[] envs = new String[n];
        String[] stdins = new String[n];
        String[] cwds = new String[n];
        Integer[] timeouts = new Integer[n];
        Long[] maxOutputs = new Long[n];
        Integer[] maxAttempts = new Integer[n];
        String[] labels = new String[n];
        String[] triggeredBy = new String[n];
        String[] createdAt = new String[n];
        String[] secretEnvNames = new String[n];
        String[] traces = traceIds.toArray(String[]::new);
        for (int i = 0; i < n; i++) {
            RunSpec spec = specs.get(i);
            ids[i] = UUID.fromString(spec.runId());
            handles[i] = spec.handle();
            runtimeKeys[i] = spec.runtime().key();
            runtimeVersions[i] = spec.runtime().version();
            names[i] = spec.name();
            commands[i] = spec.command();
            args[i] = json.writeValueAsString(spec.args());
            envs[i] = json.writeValueAsString(spec.env());
            // As base64 text: an array of text cannot carry the NUL a process's input may hold; decoded to bytea below.
            stdins[i] = Base64.getEncoder().encodeToString(spec.stdin().getBytes(StandardCharsets.UTF_8));
            cwds[i] = spec.cwd();
            timeouts[i] = spec.timeoutSeconds();
            maxOutputs[i] = spec.maxOutputBytes();
            maxAttempts[i] = spec.maxAttempts();
            labels[i] = json.writeValueAsString(spec.labels());
            triggeredBy[i] = spec.triggeredBy();
            createdAt[i] = spec.createdAt().toString();
            secretEnvNames[i] = json.writeValueAsString(spec.secretEnvNames());
        }
        return db.sql("""
                with inserted as (
                  insert into runs (id, handle, runtime_key, runtime_version, name, command, args, env, stdin, cwd,
                    timeout_seconds, max_output_bytes, max_attempts, labels, triggered_by, status, attempt, created_at,
                    updated_at, secret_env_names, trace_id)
                  select r.id, r.handle, r.runtime_key, r.runtime_version, r.name, r.command, r.args::jsonb,
                    r.env::jsonb, decode(r.stdin, 'base64'), r.cwd, r.timeout_seconds, r.max_output_bytes,
                    r.max_attempts, r.labels::jsonb,
                    r.triggered_by, :status, :attempt, r.created_at::timestamptz, r.created_at::timestamptz,
                    r.secret_env_names::jsonb, r.trace_id
                  from unnest(:ids::uuid[], :handles::text[], :runtime_keys::text[], :runtime_versions::int8[],
                    :names::text[], :commands::text[], :args::text[], :envs::text[], :stdins::text[], :cwds::text[],
                    :timeouts::int4[], :max_outputs::int8[], :max_attempts::int4[], :labels::text[],
                    :triggered_by::text[], :created_at::text[], :secret_env_names::text[], :trace_ids::text[])
                    as r(id, handle, runtime_key, runtime_version, name, command, args, env, stdin, cwd, timeout_seconds,
                      max_output_bytes, max_attempts, labels, triggered_by, created_at, secret_env_names, trace_id)
                  on conflict (id) do nothing
                  returning id
                )
                insert into run_transitions (run_id, status, attempt, at)
                select id, :status, :attempt, :at from inserted
                on conflict do nothing
                """)
                .bind("ids", ids)
                .bind("handles", handles)
                .bind("runtime_keys", runtimeKeys)
                .bind("runtime_versions", runtimeVersions)
                .bind("names", names)
                .bind("commands", commands)
                .bind("args", args)
                .bind("envs", envs)
                .bind("stdins", stdins)
                .bind("cwds", cwds)
                .bind("timeouts", timeouts)
                .bind("max_outputs", maxOutputs)
                .bind("max_attempts", maxAttempts)
                .bind("labels", labels)
                .bind("triggered_by", triggeredBy)
                .bind("created_at", createdAt)
                .bind("secret_env_names", secretEnvNames)
                .bind("trace_ids", traces)
                .bind("status", RunStatus.PENDING.name())
                .bind("attempt", RunRecord.Transition.PENDING_ATTEMPT)
                .bind("at", at.atOffset(ZoneOffset.UTC))
                .fetch()
                .rowsUpdated()
                .then();
    }

    /**
     * Appends one entry to a run's history: the only writer of {@code run_transitions}. The same status in the same
     * attempt is kept once, so a redelivered event changes nothing.
     */
    public Mono<Void> appendTransition(UUID runId, RunRecord.Transition transition) {
        var spec = db.sql("""
                insert into run_transitions (run_id, status, attempt, at, reason, worker_id)
                values (:id, :status, :attempt, :at, :reason, :worker) on conflict do nothing
                """)
                .bind("id", runId)
                .bind("status", transition.status().name())
                .bind("attempt", transition.attempt())
                .bind("at", transition.at().atOffset(ZoneOffset.UTC));
        return nullable(nullable(spec, "reason", transition.reason()), "worker", transition.workerId())
                .fetch()
                .rowsUpdated()
                .then();
    }

    public Mono<RunRecord> find(String handle, UUID id) {
        Mono<List<RunRecord.Transition>> transitions = db.sql("""
                select status, at, reason, worker_id, attempt from run_transitions where run_id = :id
                order by at, attempt
                """)
                .bind("id", id)
                .map(row -> new RunRecord.Transition(
                        RunStatus.valueOf(row.get("status", String.class)),
                        instant(row, "at"),
                        row.get("reason", String.class),
                        row.get("worker_id", String.class),
                        row.get("attempt", Integer.class)))
                .all()
                .collectList();
        // The row first, its transitions after: the projector writes a run's row and its transitions in one
        // statement, so transitions read later hold every one the row's status stands for (a terminal run's
        // transitions always include its end), and maybe moves written after the row was read (RunTimeline.after
        // folds those in). Read at once, on two connections, a GET could see a SUCCEEDED row beside transitions read
        // just before that statement.
        return db.sql("select * from runs where id = :id and handle = :handle")
                .bind("id", id)
                .bind("handle", handle)
                .map(row -> readRow(row, true))
                .one()
                .flatMap(run -> transitions.map(run::withTransitions));
    }

    /**
     * One page of the handle's runs, newest first (created_at, then id, descending), narrowed by every filter of the
     * query; {@code limit} rows at most. The columns but {@code stdin}, which a listing leaves out (null): it may be
     * up to a MiB per run. Each filter is a plain predicate on an indexed column (V3 adds the indexes), so the
     * planner walks the newest-first index of the handle (or of its status or runtime) or, for labels, the GIN index.
     */
    Flux<RunRecord> list(String handle, RunListQuery query, int limit) {
        StringBuilder sql = new StringBuilder("select " + LIST_COLUMNS + " from runs where handle = :handle");
        Map<String, Object> binds = new java.util.LinkedHashMap<>();
        binds.put("handle", handle);
        if (query.status() != null) {
            sql.append(" and status = :status");
            binds.put("status", query.status().name());
        }
        if (query.runtimeKey() != null) {
            sql.append(" and runtime_key = :runtime_key");
            binds.put("runtime_key", query.runtimeKey());
        }
        if (!query.labelValues().isEmpty()) {
            Map<String, String> object = query.labelObject();
            if (object == null) {
                return Flux.empty();
            }
            sql.append(" and labels @> :label_values");
            binds.put("label_values", Json.of(json.writeValueAsString(object)));
        }
        if (!query.labelKeys().isEmpty()) {
            // ?& (has all these keys) is an operator, not a placeholder: the named-parameter parser skips it.
            sql.append(" and labels ?& :label_keys");
            binds.put("label_keys", query.labelKeys().toArray(String[]::new));
        }
        if (query.createdAfter() != null) {
            sql.append(" and created_at > :created_after");
            binds.put("created_after", query.createdAfter().atOffset(ZoneOffset.UTC));
        }
        if (query.createdBefore() != null) {
            sql.append(" and created_at < :created_before");
            binds.put("created_before", query.createdBefore().atOffset(ZoneOffset.UTC));
        }
        if (query.before() != null) {
            sql.append(" and (created_at, id) < (:before_at, :before_id)");
            binds.put("before_at", query.before().createdAt().atOffset(ZoneOffset.UTC));
            binds.put("before_id", query.before().id());
        }
        sql.append(" order by created_at desc, id desc limit :limit");
        binds.put("limit", limit);
        DatabaseClient.GenericExecuteSpec spec = db.sql(sql.toString());
        for (Map.Entry<String, Object> bind : binds.entrySet()) {
            spec = spec.bind(bind.getKey(), bind.getValue());
        }
        return spec.map(row -> readRow(row, false)).all();
    }

    /** What the output route needs of a run, read in one query; empty when the handle has no such run. */
    Mono<OutputState> outputState(String handle, UUID id) {
        return db.sql("""
                select status, attempt, error_code, error_message, stdout_bytes, stderr_bytes, stdout_truncated,
                  stderr_truncated, output_chunks
                from runs where id = :id and handle = :handle
                """)
                .bind("id", id)
                .bind("handle", handle)
                .map(row -> {
                    String errorCode = row.get("error_code", String.class);
                    Integer chunks = row.get("output_chunks", Integer.class);
                    return new OutputState(
                            id,
                            RunStatus.valueOf(row.get("status", String.class)),
                            row.get("attempt", Integer.class),
                            errorCode == null ? null : new RunError(errorCode, row.get("error_message", String.class)),
                            chunks != null,
                            chunks == null ? 0 : row.get("stdout_bytes", Long.class),
                            chunks == null ? 0 : row.get("stderr_bytes", Long.class),
                            chunks != null && row.get("stdout_truncated", Boolean.class),
                            chunks != null && row.get("stderr_truncated", Boolean.class),
                            chunks == null ? Integer.MAX_VALUE : chunks);
                })
                .one();
    }

    /** The retained output of the run's current attempt, and whether all of it has arrived. */
    Mono<RunOutput> output(OutputState run) {
        return db.sql("""
                select stream, data from run_output_chunks where run_id = :id and attempt = :attempt order by seq
                """)
                .bind("id", run.id())
                .bind("attempt", run.attempt())
                .map(row -> Map.entry(row.get("stream", String.class), row.get("data", ByteBuffer.class)))
                .all()
                .collectList()
                .map(chunks -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    ByteArrayOutputStream err = new ByteArrayOutputStream();
                    for (var chunk : chunks) {
                        ByteBuffer data = chunk.getValue();
                        byte[] bytes = new byte[data.remaining()];
                        data.get(bytes);
                        ("STDERR".equals(chunk.getKey()) ? err : out).writeBytes(bytes);
                    }
                    boolean complete = run.status().isTerminal() && chunks.size() >= run.chunks();
                    return new RunOutput(
                            out.toString(StandardCharsets.UTF_8),
                            err.toString(StandardCharsets.UTF_8),
                            run.stdoutTruncated(),
                            run.stderrTruncated(),
                            run.totalsKnown() ? run.stdoutBytes() : out.size(),
                            run.totalsKnown() ? run.stderrBytes() : err.size(),
                            complete);
                });
    }

    /**
     * A run's status and what its worker reported about the output when it finished; {@code totalsKnown} is false
     * before then, and {@code chunks} is then unbounded so the output never reads as complete.
     */
    record OutputState(
            UUID id,
            RunStatus status,
            int attempt,
            RunError error,
            boolean totalsKnown,
            long stdoutBytes,
            long stderrBytes,
            boolean stdoutTruncated,
            boolean stderrTruncated,
            int chunks) {}

    private RunRecord readRow(Readable row, boolean withStdin) {
        String errorCode = row.get("error_code", String.class);
        return new RunRecord(
                row.get("id", UUID.class),
                row.get("handle", String.class),
                row.get("runtime_key", String.class),
                row.get("runtime_version", Long.class),
                row.get("name", String.class),
                row.get("command", String.class),
                json.readValue(row.get("args", Json.class).asString(), STRING_LIST),
                json.readValue(row.get("env", Json.class).asString(), STRING_MAP),
                withStdin ? utf8(row.get("stdin", ByteBuffer.class)) : null,
                row.get("cwd", String.class),
                row.get("timeout_seconds", Integer.class),
                row.get("max_output_bytes", Long.class),
                row.get("max_attempts", Integer.class),
                json.readValue(row.get("labels", Json.class).asString(), STRING_MAP),
                RunStatus.valueOf(row.get("status", String.class)),
                List.of(),
                row.get("attempt", Integer.class),
                row.get("worker_id", String.class),
                row.get("exit_code", Integer.class),
                row.get("duration_ms", Long.class),
                row.get("termination_reason", String.class),
                errorCode == null ? null : new RunError(errorCode, row.get("error_message", String.class)),
                instant(row, "created_at"),
                instant(row, "queued_at"),
                instant(row, "started_at"),
                instant(row, "finished_at"),
                instant(row, "updated_at"),
                row.get("triggered_by", String.class),
                json.readValue(row.get("secret_env_names", Json.class).asString(), STRING_LIST),
                row.get("trace_id", String.class));
    }

    private static String utf8(ByteBuffer bytes) {
        return StandardCharsets.UTF_8.decode(bytes).toString();
    }

    private static Instant instant(Readable row, String column) {
        OffsetDateTime time = row.get(column, OffsetDateTime.class);
        return time == null ? null : time.toInstant();
    }

    private static DatabaseClient.GenericExecuteSpec nullable(
            DatabaseClient.GenericExecuteSpec spec, String name, String value) {
        return value == null ? spec.bindNull(name, String.class) : spec.bind(name, value);
    }
}
