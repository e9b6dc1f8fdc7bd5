package dev.coderun.gateway.runs;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;

/**
 * Idempotency keys in PostgreSQL ({@code idempotency_keys}), shared by every gateway instance. A claim is a row
 * inserted before the run is published; the database's primary key makes exactly one concurrent claim of a (handle,
 * key) win. A run counts as accepted once its row is in {@code runs} (the gateway writes it right after the publish,
 * the projector from the command itself), so no second write marks a claim done. Times are the database's, so
 * gateway clocks need not agree.
 */
@Repository
class PostgresIdempotencyKeys {

    private static final Logger log = LoggerFactory.getLogger(PostgresIdempotencyKeys.class);
    private static final HexFormat HEX = HexFormat.of();

    private final DatabaseClient db;
    private final IdempotencyProperties properties;

    PostgresIdempotencyKeys(DatabaseClient db, IdempotencyProperties properties) {
        this.db = db;
        this.properties = properties;
    }

    /** One key to claim for the run that a request with this fingerprint would create. */
    record Claim(String key, byte[] fingerprint, UUID runId) {}

    /** The request that holds a key: its fingerprint, its run, and whether that run has been accepted. */
    record Holder(byte[] fingerprint, UUID runId, boolean accepted) {}

    /**
     * Claims every key in one statement and answers the keys this call won. A key is won when nobody holds it, when its
     * holder expired, or when its holder's claim is stale (older than {@code staleClaimAfter} and its run never
     * accepted: its gateway died between claim and publish). Keys must be distinct.
     */
    Mono<Set<String>> claim(String handle, List<Claim> claims) {
        if (claims.isEmpty()) {
            return Mono.just(Set.of());
        }
        String[] keys = new String[claims.size()];
        String[] fingerprints = new String[claims.size()];
        UUID[] runIds = new UUID[claims.size()];
        for (int i = 0; i < claims.size(); i++) {
            keys[i] = claims.get(i).key();
            fingerprints[i] = HEX.formatHex(claims.get(i).fingerprint());
            runIds[i] = claims.get(i).runId();
        }
        return db.sql("""
                insert into idempotency_keys as held (handle, key, request_sha256, run_id, created_at, expires_at)
                select :handle, c.key, decode(c.sha, 'hex'), c.run_id, now(), now() + make_interval(secs => :retention)
                from unnest(:keys::text[], :shas::text[], :run_ids::uuid[]) as c(key, sha, run_id)
                on conflict (handle, key) do update
                  set request_sha256 = excluded.request_sha256, run_id = excluded.run_id,
                      created_at = excluded.created_at, expires_at = excluded.expires_at
                  where held.expires_at <= now()
                     or (held.created_at < now() - make_interval(secs => :stale)
                         and not exists (select 1 from runs where runs.id = held.run_id))
                returning key
                """)
                .bind("handle", handle)
                .bind("retention", (double) properties.retention().toMillis() / 1000)
                .bind("stale", (double) properties.staleClaimAfter().toMillis() / 1000)
                .bind("keys", keys)
                .bind("shas", fingerprints)
                .bind("run_ids", runIds)
                .map(row -> row.get("key", String.class))
                .all()
                .collect(HashSet::new, Set::add);
    }

    /** Gives up claims whose runs were not accepted, so a retry with the same key can succeed; another's claim stays. */
    Mono<Void> release(String handle, List<Claim> claims) {
        if (claims.isEmpty()) {
            return Mono.empty();
        }
        String[] keys = claims.stream().map(Claim::key).toArray(String[]::new);
        UUID[] runIds = claims.stream().map(Claim::runId).toArray(UUID[]::new);
        return db.sql("""
                delete from idempotency_keys held using unnest(:keys::text[], :run_ids::uuid[]) as c(key, run_id)
                where held.handle = :handle and held.key = c.key and held.run_id = c.run_id
                """)
                .bind("handle", handle)
                .bind("keys", keys)
                .bind("run_ids", runIds)
                .fetch()
                .rowsUpdated()
                .doOnError(e -> log.warn("{} idempotency claims of handle {} not released; they go stale after {}",
                        claims.size(), handle, properties.staleClaimAfter(), e))
                .onErrorComplete()
                .then();
    }

    /** The unexpired holder of the key, if any. */
    Mono<Holder> holder(String handle, String key) {
        return db.sql("""
                select request_sha256, run_id, exists (select 1 from runs where runs.id = held.run_id) as accepted
                from idempotency_keys held where handle = :handle and key = :key and expires_at > now()
                """)
                .bind("handle", handle)
                .bind("key", key)
                .map(row -> {
                    ByteBuffer sha = row.get("request_sha256", ByteBuffer.class);
                    byte[] bytes = new byte[sha.remaining()];
                    sha.get(bytes);
                    return new Holder(bytes, row.get("run_id", UUID.class), row.get("accepted", Boolean.class));
                })
                .one();
    }

    /** Deletes expired keys; answers how many. */
    Mono<Long> purgeExpired() {
        return db.sql("delete from idempotency_keys where expires_at <= now()").fetch().rowsUpdated();
    }
}
