package dev.coderun.gateway.capacity;

import dev.coderun.events.RunStatus;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;

/** A handle's runs counted from the read model by status (the (handle, status, created_at) index of V3). */
@Repository
class PostgresUsageRepository {

    private final DatabaseClient db;

    PostgresUsageRepository(DatabaseClient db) {
        this.db = db;
    }

    Mono<HandleLimits.Usage> usage(String handle) {
        return db.sql("""
                select
                  (select count(*) from runs where handle = :handle and status in (:starting, :running)) as active,
                  (select count(*) from runs where handle = :handle and status in (:pending, :queued)) as queued
                """)
                .bind("handle", handle)
                .bind("starting", RunStatus.STARTING.name())
                .bind("running", RunStatus.RUNNING.name())
                .bind("pending", RunStatus.PENDING.name())
                .bind("queued", RunStatus.QUEUED.name())
                .map(row -> new HandleLimits.Usage(row.get("active", Long.class), row.get("queued", Long.class)))
                .one();
    }
}
