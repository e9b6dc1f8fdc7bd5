package dev.coderun.gateway.runtimes;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runtimes in PostgreSQL. Updates are conditional on the version read, so concurrent writers cannot lose changes.
 * Secrets are stored sealed ({@code secrets_sealed}), with their names and fingerprint beside them (V6).
 */
@Repository
public class PostgresRuntimeRepository {

    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {};
    private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() {};

    private final DatabaseClient db;
    private final JsonMapper json;

    PostgresRuntimeRepository(DatabaseClient db, JsonMapper json) {
        this.db = db;
        this.json = json;
    }

    public Mono<RuntimeRecord> find(String handle, String key) {
        return db.sql("select * from runtimes where handle = :handle and key = :key")
                .bind("handle", handle)
                .bind("key", key)
                .map(this::read)
                .one();
    }

    /** Looks a runtime up by key or, when {@code keyOrId} is a UUID, by id. */
    public Mono<RuntimeRecord> findByKeyOrId(String handle, String keyOrId) {
        Optional<UUID> id = parseUuid(keyOrId);
        if (id.isEmpty()) {
            return find(handle, keyOrId);
        }
        return db.sql("select * from runtimes where handle = :handle and id = :id")
                .bind("handle", handle)
                .bind("id", id.get())
                .map(this::read)
                .one();
    }

    /** Keys after {@code afterKey} (null for the first page), in key order. */
    Flux<RuntimeRecord> list(String handle, String afterKey, int limit) {
        return db.sql("select * from runtimes where handle = :handle and key > :after order by key limit :limit")
                .bind("handle", handle)
                .bind("after", afterKey == null ? "" : afterKey)
                .bind("limit", limit)
                .map(this::read)
                .all();
    }

    /** Inserts a new runtime; completes empty when the key was taken meanwhile. */
    Mono<RuntimeRecord> insert(RuntimeRecord r) {
        return bindAll(db.sql("""
                insert into runtimes (handle, key, id, display_name, description, image_uri, image_digest, cpu_cores,
                  memory_mb, pids_limit, timeout_seconds, max_timeout_seconds, network, read_only_rootfs, env, labels,
                  max_active_runs, enabled, version, validation_status, validation_reason, validation_expected_digest,
                  validation_actual_digest, validation_checked_at, created_at, updated_at, secret_names,
                  secrets_fingerprint, secrets_sealed)
                values (:handle, :key, :id, :display_name, :description, :image_uri, :image_digest, :cpu_cores,
                  :memory_mb, :pids_limit, :timeout_seconds, :max_timeout_seconds, :network, :read_only_rootfs, :env,
                  :labels, :max_active_runs, :enabled, :version, :validation_status, :validation_reason,
                  :validation_expected_digest, :validation_actual_digest, :validation_checked_at, :created_at,
                  :updated_at, :secret_names, :secrets_fingerprint, :secrets_sealed)
                on conflict (handle, key) do nothing
                """), r)
                .fetch()
                .rowsUpdated()
                .flatMap(rows -> rows == 1 ? Mono.just(r) : Mono.empty());
    }

    /** Replaces the runtime if it is still at {@code expectedVersion}; completes empty otherwise. */
    Mono<RuntimeRecord> update(RuntimeRecord r, long expectedVersion) {
        return bindAll(db.sql("""
                update runtimes set display_name = :display_name, description = :description, image_uri = :image_uri,
                  image_digest = :image_digest, cpu_cores = :cpu_cores, memory_mb = :memory_mb,
                  pids_limit = :pids_limit, timeout_seconds = :timeout_seconds,
                  max_timeout_seconds = :max_timeout_seconds, network = :network, read_only_rootfs = :read_only_rootfs,
                  env = :env, labels = :labels, max_active_runs = :max_active_runs, enabled = :enabled,
                  version = :version, validation_status = :validation_status, validation_reason = :validation_reason,
                  validation_expected_digest = :validation_expected_digest,
                  validation_actual_digest = :validation_actual_digest,
                  validation_checked_at = :validation_checked_at, created_at = :created_at, updated_at = :updated_at,
                  secret_names = :secret_names, secrets_fingerprint = :secrets_fingerprint,
                  secrets_sealed = :secrets_sealed
                where handle = :handle and key = :key and id = :id and version = :expected_version
                """).bind("expected_version", expectedVersion), r)
                .fetch()
                .rowsUpdated()
                .flatMap(rows -> rows == 1 ? Mono.just(r) : Mono.empty());
    }

    /** Up to {@code limit} runtimes whose secrets are sealed under another key than {@code keyId}, of every handle. */
    Flux<RuntimeRecord> sealedUnderOtherKeys(String keyId, int limit) {
        return db.sql("""
                select * from runtimes
                where secrets_sealed is not null and split_part(secrets_sealed, '.', 2) <> :key_id
                limit :limit
                """)
                .bind("key_id", keyId)
                .bind("limit", limit)
                .map(this::read)
                .all();
    }

    /**
     * Replaces a runtime's sealed secrets and their fingerprint (the same secrets, sealed again) unless they changed
     * since {@code r} was read; the version stays, as nothing a run sees changed.
     */
    Mono<Boolean> reseal(RuntimeRecord r, String sealed, String fingerprint) {
        return db.sql("""
                update runtimes set secrets_sealed = :sealed, secrets_fingerprint = :fingerprint
                where handle = :handle and key = :key and secrets_sealed = :was
                """)
                .bind("sealed", sealed)
                .bind("fingerprint", fingerprint)
                .bind("handle", r.handle())
                .bind("key", r.key())
                .bind("was", r.sealedSecrets())
                .fetch()
                .rowsUpdated()
                .map(rows -> rows == 1);
    }

    /** Records a validation outcome unless the image changed since the check began (version moved on). */
    Mono<Boolean> saveValidation(String handle, String key, long version, ImageValidation v) {
        var spec = db.sql("""
                update runtimes set validation_status = :status, validation_reason = :reason,
                  validation_expected_digest = :expected, validation_actual_digest = :actual,
                  validation_checked_at = :checked_at
                where handle = :handle and key = :key and version = :version
                """)
                .bind("handle", handle)
                .bind("key", key)
                .bind("version", version)
                .bind("status", v.status().name());
        spec = bindNullable(spec, "reason", v.reason(), String.class);
        spec = bindNullable(spec, "expected", v.expectedDigest(), String.class);
        spec = bindNullable(spec, "actual", v.actualDigest(), String.class);
        spec = bindNullable(spec, "checked_at", toOffset(v.checkedAt()), OffsetDateTime.class);
        return spec.fetch().rowsUpdated().map(rows -> rows == 1);
    }

    private DatabaseClient.GenericExecuteSpec bindAll(DatabaseClient.GenericExecuteSpec spec, RuntimeRecord r) {
        RuntimeDefinition d = r.definition();
        ImageValidation v = r.validation();
        spec = spec.bind("handle", r.handle())
                .bind("key", r.key())
                .bind("id", r.id())
                .bind("image_uri", d.imageUri())
                .bind("image_digest", d.imageDigest())
                .bind("cpu_cores", BigDecimal.valueOf(d.cpuCores()))
                .bind("memory_mb", d.memoryMb())
                .bind("pids_limit", d.pidsLimit())
                .bind("timeout_seconds", d.timeoutSeconds())
                .bind("max_timeout_seconds", d.maxTimeoutSeconds())
                .bind("network", d.network())
                .bind("read_only_rootfs", d.readOnlyRootfs())
                .bind("env", Json.of(json.writeValueAsString(d.env())))
                .bind("labels", Json.of(json.writeValueAsString(d.labels())))
                .bind("secret_names", Json.of(json.writeValueAsString(d.secretNames())))
                .bind("enabled", d.enabled())
                .bind("version", r.version())
                .bind("validation_status", v.status().name())
                .bind("created_at", toOffset(r.createdAt()))
                .bind("updated_at", toOffset(r.updatedAt()));
        spec = bindNullable(spec, "display_name", d.displayName(), String.class);
        spec = bindNullable(spec, "description", d.description(), String.class);
        spec = bindNullable(spec, "max_active_runs", d.maxActiveRuns(), Integer.class);
        spec = bindNullable(spec, "secrets_fingerprint", d.secretsFingerprint(), String.class);
        spec = bindNullable(spec, "secrets_sealed", r.sealedSecrets(), String.class);
        spec = bindNullable(spec, "validation_reason", v.reason(), String.class);
        spec = bindNullable(spec, "validation_expected_digest", v.expectedDigest(), String.class);
        spec = bindNullable(spec, "validation_actual_digest", v.actualDigest(), String.class);
        return bindNullable(spec, "validation_checked_at", toOffset(v.checkedAt()), OffsetDateTime.class);
    }

    private static <T> DatabaseClient.GenericExecuteSpec bindNullable(
            DatabaseClient.GenericExecuteSpec spec, String name, T value, Class<T> type) {
        return value == null ? spec.bindNull(name, type) : spec.bind(name, value);
    }

    private RuntimeRecord read(Readable row) {
        RuntimeDefinition definition = new RuntimeDefinition(
                row.get("display_name", String.class),
                row.get("description", String.class),
                row.get("image_uri", String.class),
                row.get("image_digest", String.class),
                row.get("cpu_cores", BigDecimal.class).doubleValue(),
                row.get("memory_mb", Integer.class),
                row.get("pids_limit", Integer.class),
                row.get("timeout_seconds", Integer.class),
                row.get("max_timeout_seconds", Integer.class),
                row.get("network", String.class),
                row.get("read_only_rootfs", Boolean.class),
                json.readValue(row.get("env", Json.class).asString(), STRING_MAP),
                json.readValue(row.get("labels", Json.class).asString(), STRING_MAP),
                row.get("max_active_runs", Integer.class),
                row.get("enabled", Boolean.class),
                json.readValue(row.get("secret_names", Json.class).asString(), STRING_LIST),
                row.get("secrets_fingerprint", String.class));
        ImageValidation validation = new ImageValidation(
                ImageValidation.Status.valueOf(row.get("validation_status", String.class)),
                row.get("validation_reason", String.class),
                row.get("validation_expected_digest", String.class),
                row.get("validation_actual_digest", String.class),
                toInstant(row.get("validation_checked_at", OffsetDateTime.class)));
        return new RuntimeRecord(
                row.get("handle", String.class),
                row.get("key", String.class),
                row.get("id", UUID.class),
                definition,
                row.get("version", Long.class),
                validation,
                toInstant(row.get("created_at", OffsetDateTime.class)),
                toInstant(row.get("updated_at", OffsetDateTime.class)),
                row.get("secrets_sealed", String.class));
    }

    static OffsetDateTime toOffset(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }

    static Instant toInstant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }

    private static Optional<UUID> parseUuid(String value) {
        try {
            return value.length() == 36 ? Optional.of(UUID.fromString(value)) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
