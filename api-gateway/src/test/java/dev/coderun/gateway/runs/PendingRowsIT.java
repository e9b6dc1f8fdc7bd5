package dev.coderun.gateway.runs;

import static dev.coderun.gateway.GatewayFixtures.aRuntimeSnapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.RunSpec;
import dev.coderun.gateway.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link PostgresRunRepository#insertPendingAllIf} against the real PostgreSQL: the rows are written while the decision
 * is pending, and nobody sees them unless it is true.
 */
class PendingRowsIT {

    private static final Instant T = Instant.parse("2026-11-27T10:00:00Z");
    private static TestDatabase database;
    private static PostgresRunRepository runs;

    @BeforeAll
    static void database() {
        database = TestDatabase.create("coderun_pending_rows_it");
        runs = new PostgresRunRepository(database.r2dbc(), JsonMapper.builder().build());
    }

    @Test
    void rowsWrittenWhileTheDecisionIsPendingAreSeenOnlyOnceItIsTrue() throws Exception {
        String handle = handle();
        List<RunSpec> specs = specs(handle, PostgresRunRepository.PARALLEL_INSERT_MIN_RUNS + 1);
        Sinks.One<Boolean> keep = Sinks.one();

        CompletableFuture<Boolean> answer =
                runs.insertPendingAllIf(specs, traceIds(specs), T, keep.asMono()).toFuture();

        // Every part's statement has run: its transaction waits for the decision.
        await().atMost(Duration.ofSeconds(20))
                .until(() -> waitingTransactions() == PostgresRunRepository.PARALLEL_INSERTS);
        assertThat(count("select count(*) from runs where handle = '" + handle + "'")).isZero();
        assertThat(count("select count(*) from run_transitions where run_id in ('" + specs.getFirst().runId() + "', '"
                + specs.getLast().runId() + "')")).isZero();
        assertThat(answer).isNotDone();

        keep.tryEmitValue(true);

        assertThat(answer.get(20, TimeUnit.SECONDS)).isTrue();
        assertThat(count("select count(*) from runs where handle = '" + handle + "' and status = 'PENDING'"))
                .isEqualTo(specs.size());
        assertThat(count("select count(*) from runs r join run_transitions t on t.run_id = r.id where r.handle = '"
                + handle + "' and t.status = 'PENDING' and r.trace_id = 'trace-' || r.id")).isEqualTo(specs.size());
    }

    @Test
    void pastTheConnectionBoundAGroupIsNotWrittenWhileItWaitsAndItsCallerWritesItAfter() throws Exception {
        Sinks.One<Boolean> keep = Sinks.one();
        List<CompletableFuture<Boolean>> held = new ArrayList<>();
        for (int g = 0; g < runs.maxDecisionConnections() / PostgresRunRepository.PARALLEL_INSERTS;
                g++) {
            List<RunSpec> specs = specs(handle(), PostgresRunRepository.PARALLEL_INSERT_MIN_RUNS);
            held.add(runs.insertPendingAllIf(specs, traceIds(specs), T, keep.asMono()).toFuture());
        }
        String handle = handle();
        List<RunSpec> more = specs(handle, 1);
        try {
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> waitingTransactions() == runs.maxDecisionConnections());

            assertThat(runs.insertPendingAllIf(more, traceIds(more), T, Mono.just(true))
                            .block(Duration.ofSeconds(5)))
                    .as("no connection taken past the bound: answered at once, nothing written").isFalse();
            assertThat(count("select count(*) from runs where handle = '" + handle + "'")).isZero();
        } finally {
            // Ends the held transactions even when an assertion failed, so the other tests get their connections.
            keep.tryEmitValue(true);
        }
        for (CompletableFuture<Boolean> answer : held) {
            assertThat(answer.get(20, TimeUnit.SECONDS)).isTrue();
        }
        // Once the held transactions end, a group is written while its decision is pending again.
        await().atMost(Duration.ofSeconds(5)).until(() ->
                runs.insertPendingAllIf(more, traceIds(more), T, Mono.just(true)).block(Duration.ofSeconds(5)));
        assertThat(count("select count(*) from runs where handle = '" + handle + "'")).isEqualTo(1);
    }

    @Test
    void aFalseOrEmptyOrFailedDecisionLeavesNoRow() throws SQLException {
        String handle = handle();
        List<RunSpec> specs = specs(handle, 3);

        assertThat(runs.insertPendingAllIf(specs, traceIds(specs), T, Mono.just(false)).block()).isFalse();
        assertThat(runs.insertPendingAllIf(specs, traceIds(specs), T, Mono.empty()).block()).isFalse();
        assertThatThrownBy(() -> runs.insertPendingAllIf(specs, traceIds(specs), T,
                        Mono.error(new IllegalStateException("no verdict"))).block())
                .hasMessageContaining("no verdict");

        assertThat(count("select count(*) from runs where handle = '" + handle + "'")).isZero();
    }

    @Test
    void aRowAlreadyWrittenStaysAsItIsAndTheOthersAreAdded() throws SQLException {
        String handle = handle();
        List<RunSpec> specs = specs(handle, 2);
        runs.insertPendingAll(specs.subList(0, 1), List.of("first"), T).block();

        assertThat(runs.insertPendingAllIf(specs, traceIds(specs), T.plusSeconds(1), Mono.just(true)).block()).isTrue();

        assertThat(count("select count(*) from runs where handle = '" + handle + "'")).isEqualTo(2);
        assertThat(count("select count(*) from runs where id = '" + specs.getFirst().runId()
                + "' and trace_id = 'first'")).isEqualTo(1);
    }

    private static long waitingTransactions() throws SQLException {
        return count("select count(*) from pg_stat_activity where datname = current_database()"
                + " and state = 'idle in transaction'");
    }

    private static long count(String query) throws SQLException {
        try (Connection connection = database.connect(); var statement = connection.createStatement();
                var rows = statement.executeQuery(query)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static String handle() {
        return "h" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static List<RunSpec> specs(String handle, int n) {
        List<RunSpec> specs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            specs.add(new RunSpec(RunIds.next(T.toEpochMilli()).toString(), handle, aRuntimeSnapshot(), null, "true",
                    List.of("a", "b"), Map.of("K", "v"), "in", null, 30, 1_048_576, 1, Map.of("n", "" + i),
                    "user:alice", T));
        }
        return specs;
    }

    private static List<String> traceIds(List<RunSpec> specs) {
        return specs.stream().map(spec -> "trace-" + spec.runId()).toList();
    }
}
