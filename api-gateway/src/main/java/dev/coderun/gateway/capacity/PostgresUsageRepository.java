package dev.coderun.gateway.capacity;

import dev.coderun.events.RunStatus;
import java.time.Instant;
import java.time.ZoneOffset;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;

/**
 * A handle's usage counted from the read model: runs by status (the (handle, status, created_at) index of V3) and
 * writes since the start of the UTC day (the (handle, created_at) index of V1; runtimes by their primary key).
 */
@Repository
class PostgresUsageRepository {

    private final DatabaseClient db;

    PostgresUsageRepository(DatabaseClient db) {
        this.db = db;
    }

    Mono<HandleLimits.Usage> usage(String handle, Instant dayStart) {
        var day = dayStart.atOffset(ZoneOffset.UTC);
        return db.sql("""
                select
                  (select count(*) from runs where handle = :handle and status in (:starting, :running)) as active,
                  (select count(*) from runs where handle = :handle and status in (:pending, :queued)) as queued,
                  (select count(*) from runs where handle = :handle and created_at >= :day) as runs_today,
                  (select count(*) from runtimes where handle = :handle and updated_at >= :day) as runtimes_today
                """)
                .bind("handle", handle)
                .bind("starting", RunStatus.STARTING.name())
                .bind("running", RunStatus.RUNNING.name())
                .bind("pending", RunStatus.PENDING.name())
                .bind("queued", RunStatus.QUEUED.name())
                .bind("day", day)
                .map(row -> new HandleLimits.Usage(
                        row.get("active", Long.class),
                        row.get("queued", Long.class),
                        row.get("runs_today", Long.class),
                        row.get("runtimes_today", Long.class)))
                .one();
    }
}
