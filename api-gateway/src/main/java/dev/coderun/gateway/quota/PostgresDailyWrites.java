package dev.coderun.gateway.quota;

import java.time.LocalDate;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;

/**
 * Writes counted per handle and UTC day (table {@code daily_writes}, V5), shared by every gateway instance. A
 * reservation is one statement: the row's lock (taken by the upsert) makes concurrent reservations of one handle queue,
 * each seeing the count the one before it left, so together they never pass the limit.
 */
@Repository
class PostgresDailyWrites {

    private final DatabaseClient db;

    PostgresDailyWrites(DatabaseClient db) {
        this.db = db;
    }

    /** What a reservation got: {@code granted} of the writes asked for, and the day's count after it. */
    record Reserved(long granted, long used) {}

    /**
     * Adds up to {@code wanted} writes to the handle's count for {@code day}, as many as fit under {@code limit}.
     * Both SET expressions read the row as it was, so {@code last_granted} is what this statement added.
     */
    Mono<Reserved> reserve(String handle, LocalDate day, long wanted, long limit) {
        return db.sql("""
                insert into daily_writes as d (handle, day, used, last_granted)
                values (:handle, :day, least(:wanted, :limit), least(:wanted, :limit))
                on conflict (handle, day) do update
                  set used = d.used + least(:wanted, greatest(:limit - d.used, 0)),
                      last_granted = least(:wanted, greatest(:limit - d.used, 0))
                returning last_granted, used
                """)
                .bind("handle", handle)
                .bind("day", day)
                .bind("wanted", wanted)
                .bind("limit", limit)
                .map(row -> new Reserved(row.get("last_granted", Long.class), row.get("used", Long.class)))
                .one();
    }

    /** Takes {@code count} writes back off the handle's count for {@code day} (never below 0). */
    Mono<Void> giveBack(String handle, LocalDate day, long count) {
        return db.sql("update daily_writes set used = greatest(used - :count, 0) where handle = :handle and day = :day")
                .bind("handle", handle)
                .bind("day", day)
                .bind("count", count)
                .then();
    }

    /** The handle's count for {@code day}; 0 when it wrote nothing. */
    Mono<Long> used(String handle, LocalDate day) {
        return db.sql("select used from daily_writes where handle = :handle and day = :day")
                .bind("handle", handle)
                .bind("day", day)
                .map(row -> row.get("used", Long.class))
                .one()
                .defaultIfEmpty(0L);
    }

    /** Deletes the counts of days before {@code day}; answers how many rows. */
    Mono<Long> purgeBefore(LocalDate day) {
        return db.sql("delete from daily_writes where day < :day")
                .bind("day", day)
                .fetch()
                .rowsUpdated();
    }
}
