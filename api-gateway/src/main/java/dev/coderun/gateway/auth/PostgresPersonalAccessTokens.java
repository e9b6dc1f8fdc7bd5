package dev.coderun.gateway.auth;

import io.r2dbc.spi.Readable;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Collection;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Personal access tokens in PostgreSQL (table {@code personal_access_tokens}). A token is found by the SHA-256 of its
 * secret through a unique index; a caller sees only tokens all of whose handles it holds.
 */
@Repository
class PostgresPersonalAccessTokens {

    private final DatabaseClient db;

    PostgresPersonalAccessTokens(DatabaseClient db) {
        this.db = db;
    }

    Mono<PersonalAccessToken> insert(PersonalAccessToken token, byte[] secretSha256) {
        var spec = db.sql("""
                insert into personal_access_tokens (id, token_sha256, display_prefix, name, created_by, handles, scopes,
                  created_at, expires_at)
                values (:id, :sha256, :prefix, :name, :created_by, :handles, :scopes, :created_at, :expires_at)
                """)
                .bind("id", token.id())
                .bind("sha256", secretSha256)
                .bind("prefix", token.prefix())
                .bind("name", token.name())
                .bind("created_by", token.createdBy())
                .bind("handles", token.handles().toArray(String[]::new))
                .bind("scopes", token.scopes().toArray(String[]::new))
                .bind("created_at", offset(token.createdAt()));
        spec = token.expiresAt() == null
                ? spec.bindNull("expires_at", OffsetDateTime.class)
                : spec.bind("expires_at", offset(token.expiresAt()));
        return spec.fetch().rowsUpdated().thenReturn(token);
    }

    /** The token whose secret hashes to {@code secretSha256}, revoked and expired ones included. */
    Mono<PersonalAccessToken> findBySecret(byte[] secretSha256) {
        return db.sql("select * from personal_access_tokens where token_sha256 = :sha256")
                .bind("sha256", secretSha256)
                .map(PostgresPersonalAccessTokens::read)
                .one();
    }

    /**
     * Newest first, only tokens whose handles are all in {@code handles}; after the token {@code after} (null: from
     * the newest).
     */
    Flux<PersonalAccessToken> list(Collection<String> handles, TokenCursor after, int limit) {
        var spec = db.sql("""
                select * from personal_access_tokens
                where handles <@ :handles
                  and (cast(:after_at as timestamptz) is null or (created_at, id) < (:after_at, :after_id))
                order by created_at desc, id desc
                limit :limit
                """)
                .bind("handles", handles.toArray(String[]::new))
                .bind("limit", limit);
        spec = after == null
                ? spec.bindNull("after_at", OffsetDateTime.class).bindNull("after_id", UUID.class)
                : spec.bind("after_at", offset(after.createdAt())).bind("after_id", after.id());
        return spec.map(PostgresPersonalAccessTokens::read).all();
    }

    /**
     * Revokes the token if the caller may see it (its handles are all in {@code handles}); a token revoked before
     * keeps its first revocation time. Empty when there is no such token for this caller.
     */
    Mono<PersonalAccessToken> revoke(UUID id, Collection<String> handles, Instant now) {
        return db.sql("""
                update personal_access_tokens set revoked_at = coalesce(revoked_at, :now)
                where id = :id and handles <@ :handles
                returning *
                """)
                .bind("id", id)
                .bind("handles", handles.toArray(String[]::new))
                .bind("now", offset(now))
                .map(PostgresPersonalAccessTokens::read)
                .one();
    }

    /** Sets {@code last_used_at} to {@code now} unless it was set less than {@code every} ago (by any gateway). */
    Mono<Void> touch(UUID id, Instant now, Duration every) {
        return db.sql("""
                update personal_access_tokens set last_used_at = :now
                where id = :id and (last_used_at is null or last_used_at <= :stale)
                """)
                .bind("id", id)
                .bind("now", offset(now))
                .bind("stale", offset(now.minus(every)))
                .fetch()
                .rowsUpdated()
                .then();
    }

    private static PersonalAccessToken read(Readable row) {
        return new PersonalAccessToken(
                row.get("id", UUID.class),
                row.get("name", String.class),
                row.get("display_prefix", String.class),
                row.get("created_by", String.class),
                Arrays.asList(row.get("handles", String[].class)),
                Arrays.asList(row.get("scopes", String[].class)),
                instant(row.get("created_at", OffsetDateTime.class)),
                instant(row.get("expires_at", OffsetDateTime.class)),
                instant(row.get("last_used_at", OffsetDateTime.class)),
                instant(row.get("revoked_at", OffsetDateTime.class)));
    }

    private static OffsetDateTime offset(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    private static Instant instant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }
}
