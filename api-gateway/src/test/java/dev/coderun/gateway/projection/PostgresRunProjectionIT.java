package dev.coderun.gateway.projection;

import static dev.coderun.gateway.GatewayFixtures.aRuntimeSnapshot;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunAccepted;
import dev.coderun.events.RunError;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunQueued;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RunStarted;
import dev.coderun.events.RunStarting;
import dev.coderun.events.RunStatus;
import dev.coderun.gateway.TestDatabase;
import dev.coderun.gateway.runs.PostgresRunRepository;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.HashMap;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.r2dbc.core.DatabaseClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * The projection against the real PostgreSQL: a poll's events are folded into one update per poll
 * ({@link RowPatch}), and the rows and histories that leaves must be the ones the same events leave applied one poll
 * each, however the events are split into polls.
 */
class PostgresRunProjectionIT {

    private static final String HANDLE = "acme";
    private static final Instant T = Instant.parse("2026-11-26T10:00:00Z");
    private static TestDatabase database;
    private static DatabaseClient db;
    private static PostgresRunRepository repository;
    private static PostgresRunProjection projection;

    @BeforeAll
    static void database() {
        database = TestDatabase.create("coderun_projection_it");
        db = database.r2dbc();
        repository = new PostgresRunRepository(db, JsonMapper.builder().build());
        projection = new PostgresRunProjection(db, repository);
    }

    @Test
    void aRunLostOnceThenFinishedOnAnotherWorkerReadsTheSameInOnePollAsInOnePollPerEvent() throws Exception {
        Function<String, List<RunEvent>> life = id -> List.of(
                new RunAccepted(spec(id), T),
                new RunQueued(HANDLE, id, 1, 3, T.plusMillis(10)),
                new RunStarting(HANDLE, id, 1, "worker-a", T.plusMillis(20)),
                new RunStarted(HANDLE, id, 1, "worker-a", T.plusMillis(30)),
                new RunQueued(HANDLE, id, 2, 0, T.plusMillis(40)),
                new RunStarting(HANDLE, id, 2, "worker-b", T.plusMillis(50)),
                new RunStarted(HANDLE, id, 2, "worker-b", T.plusMillis(60)),
                // A stale report of attempt 1: ignored however it is polled.
                new RunFinished(HANDLE, id, RunStatus.SUCCEEDED, 1, "worker-a", 0, 5L, "exited", null,
                        new OutputSummary(1, 0, false, false, 1), T.plusMillis(65)),
                new RunFinished(HANDLE, id, RunStatus.FAILED, 2, "worker-b", 3, 25L, "exited",
                        new RunError("exit", "exit code 3"), new OutputSummary(10, 4, true, false, 2),
                        T.plusMillis(70)));

        Map<String, Object> onePollEach = applyOnePollEach(life);
        Map<String, Object> oneRead = applyInOnePoll(life);

        assertThat(oneRead).isEqualTo(onePollEach);
        assertThat(onePollEach).containsEntry("status", "FAILED").containsEntry("attempt", 2)
                .containsEntry("worker_id", "worker-b").containsEntry("exit_code", 3)
                .containsEntry("duration_ms", 25L).containsEntry("termination_reason", "exited")
                .containsEntry("error_code", "exit").containsEntry("error_message", "exit code 3")
                .containsEntry("stdout_bytes", 10L).containsEntry("stderr_bytes", 4L)
                .containsEntry("stdout_truncated", true).containsEntry("stderr_truncated", false)
                .containsEntry("output_chunks", 2)
                // The first queueing's time, the latest start's, the end's.
                .containsEntry("queued_at", T.plusMillis(10).toString())
                .containsEntry("started_at", T.plusMillis(60).toString())
                .containsEntry("finished_at", T.plusMillis(70).toString())
                .containsEntry("updated_at", T.plusMillis(70).toString());
        assertThat(onePollEach.get("transitions").toString()).isEqualTo(
                "[PENDING/0, QUEUED/1, STARTING/1@worker-a, RUNNING/1@worker-a, QUEUED/2:worker_lost, "
                        + "STARTING/2@worker-b, RUNNING/2@worker-b, FAILED/2@worker-b:exit]");
    }

    @Test
    void aRunCancelledWhileQueuedAfterALossKeepsNoWorkerAndItsStartTime() throws Exception {
        // The scheduler's end names no worker: the row keeps the one it has (none, once re-queued).
        Function<String, List<RunEvent>> life = id -> List.of(
                new RunAccepted(spec(id), T),
                new RunQueued(HANDLE, id, 1, 0, T.plusMillis(10)),
                new RunStarting(HANDLE, id, 1, "worker-a", T.plusMillis(20)),
                new RunStarted(HANDLE, id, 1, "worker-a", T.plusMillis(30)),
                new RunQueued(HANDLE, id, 2, 0, T.plusMillis(40)),
                new RunFinished(HANDLE, id, RunStatus.CANCELLED, 0, null, null, null, "cancelled", null,
                        OutputSummary.NONE, T.plusMillis(50)));

        Map<String, Object> onePollEach = applyOnePollEach(life);

        assertThat(applyInOnePoll(life)).isEqualTo(onePollEach);
        assertThat(onePollEach).containsEntry("status", "CANCELLED").containsEntry("worker_id", null)
                .containsEntry("started_at", T.plusMillis(30).toString())
                .containsEntry("finished_at", T.plusMillis(50).toString());
    }

    @Test
    void manyRunsSplitIntoPollsAtRandomReadAsEachRunAlone() throws Exception {
        // Polls interleave runs and cut their lives anywhere; each run ends as it does alone.
        Random random = new Random(7);
        Map<String, Map<String, Object>> alone = new LinkedHashMap<>();
        List<List<RunEvent>> lives = new ArrayList<>();
        for (int r = 0; r < 40; r++) {
            int ending = r % 4;
            Function<String, List<RunEvent>> life = id -> {
                List<RunEvent> events = new ArrayList<>(List.of(
                        new RunAccepted(spec(id), T),
                        new RunQueued(HANDLE, id, 1, 0, T.plusMillis(1)),
                        new RunStarting(HANDLE, id, 1, "w" + ending, T.plusMillis(2))));
                if (ending > 0) {
                    events.add(new RunStarted(HANDLE, id, 1, "w" + ending, T.plusMillis(3)));
                }
                if (ending > 1) {
                    events.add(new RunFinished(HANDLE, id, RunStatus.SUCCEEDED, 1, "w" + ending, 0, 4L, "exited",
                            null, new OutputSummary(ending, 0, false, false, 1), T.plusMillis(4)));
                }
                return events;
            };
            String id = UUID.randomUUID().toString();
            alone.put(id, applyOnePollEach(life));
            lives.add(new ArrayList<>(life.apply(id)));
        }
        List<RunEvent> stream = new ArrayList<>();
        while (lives.stream().anyMatch(events -> !events.isEmpty())) {
            List<RunEvent> next = lives.get(random.nextInt(lives.size()));
            if (!next.isEmpty()) {
                stream.add(next.removeFirst());
            }
        }
        for (int from = 0; from < stream.size(); ) {
            int to = Math.min(stream.size(), from + 1 + random.nextInt(30));
            projection.applyAll(stream.subList(from, to)).block();
            from = to;
        }

        for (var run : alone.entrySet()) {
            Map<String, Object> together = row(run.getKey());
            assertThat(together).as(run.getKey()).isEqualTo(run.getValue());
        }
    }

    @Test
    void aRunsLaterPollsAreWrittenWithoutReadingItsRowAgain() throws Exception {
        PostgresRunProjection fresh = new PostgresRunProjection(db, repository);
        String id = UUID.randomUUID().toString();
        fresh.applyAll(List.of(new RunAccepted(spec(id), T), new RunQueued(HANDLE, id, 1, 0, T.plusMillis(1))))
                .block();
        long readsAfterAccepting = fresh.reads();

        fresh.applyAll(List.of(new RunStarting(HANDLE, id, 1, "w", T.plusMillis(2)))).block();
        fresh.applyAll(List.of(new RunStarted(HANDLE, id, 1, "w", T.plusMillis(3)))).block();
        fresh.applyAll(List.of(new RunFinished(HANDLE, id, RunStatus.SUCCEEDED, 1, "w", 0, 4L, "exited", null,
                new OutputSummary(1, 0, false, false, 1), T.plusMillis(4)))).block();

        assertThat(readsAfterAccepting).as("the row read, missing, inserted and read again").isEqualTo(2);
        assertThat(fresh.reads()).as("reads after the first poll").isEqualTo(readsAfterAccepting);
        assertThat(row(id)).containsEntry("status", "SUCCEEDED")
                .containsEntry("finished_at", T.plusMillis(4).toString());
        assertThat(row(id).get("transitions").toString())
                .isEqualTo("[PENDING/0, QUEUED/1, STARTING/1@w, RUNNING/1@w, SUCCEEDED/1@w:exited]");
    }

    @Test
    void aRunMovedByAnotherProjectorSinceThisOneWroteItIsReadAgainAndFoldedRight() throws Exception {
        // This projector knows the run QUEUED (it wrote that); another one moved it to RUNNING since.
        PostgresRunProjection other = new PostgresRunProjection(db, repository);
        String id = UUID.randomUUID().toString();
        projection.applyAll(List.of(new RunAccepted(spec(id), T), new RunQueued(HANDLE, id, 1, 0, T.plusMillis(1))))
                .block();
        other.applyAll(List.of(new RunStarting(HANDLE, id, 1, "w", T.plusMillis(2)),
                new RunStarted(HANDLE, id, 1, "w", T.plusMillis(3)))).block();
        long reads = projection.reads();

        projection.applyAll(List.of(new RunFinished(HANDLE, id, RunStatus.FAILED, 1, "w", 2, 4L, "exited", null,
                new OutputSummary(0, 1, false, false, 1), T.plusMillis(4)))).block();

        assertThat(projection.reads()).as("the write found the row changed and read it").isEqualTo(reads + 1);
        assertThat(row(id)).containsEntry("status", "FAILED").containsEntry("exit_code", 2);
        assertThat(row(id).get("transitions").toString())
                .isEqualTo("[PENDING/0, QUEUED/1, STARTING/1@w, RUNNING/1@w, FAILED/1@w:exited]");
    }

    @Test
    void aRowThatChangedAfterItWasReadIsNotWrittenFromWhatWasRead() throws Exception {
        String id = UUID.randomUUID().toString();
        projection.applyAll(List.of(new RunAccepted(spec(id), T), new RunQueued(HANDLE, id, 1, 0, T.plusMillis(1)),
                new RunStarting(HANDLE, id, 1, "w", T.plusMillis(2)),
                new RunStarted(HANDLE, id, 1, "w", T.plusMillis(3)))).block();
        RunFinished end = new RunFinished(HANDLE, id, RunStatus.SUCCEEDED, 1, "w", 0, 4L, "exited", null,
                new OutputSummary(3, 0, false, false, 1), T.plusMillis(4));

        // Read while the run was still QUEUED; another projector moved it to RUNNING since.
        Map<UUID, PostgresRunProjection.Current> stale = new HashMap<>(
                Map.of(UUID.fromString(id), new PostgresRunProjection.Current(RunStatus.QUEUED, 1)));
        Set<UUID> changed = projection.foldAndWrite(List.of(end), stale).block();

        assertThat(changed).containsExactly(UUID.fromString(id));
        assertThat(row(id)).containsEntry("status", "RUNNING").containsEntry("finished_at", null);
        assertThat(row(id).get("transitions").toString()).doesNotContain("SUCCEEDED");

        // Applied as the projector does, the row is read again first.
        projection.applyAll(List.of(end)).block();
        assertThat(row(id)).containsEntry("status", "SUCCEEDED")
                .containsEntry("finished_at", T.plusMillis(4).toString());
        assertThat(row(id).get("transitions").toString())
                .isEqualTo("[PENDING/0, QUEUED/1, STARTING/1@w, RUNNING/1@w, SUCCEEDED/1@w:exited]");
    }

    @Test
    void aMoveRedeliveredAfterAnotherProjectorAdvancedTheRunIsNotRepeatedAndTheNextStillLands() throws Exception {
        // This projector wrote the run QUEUED; another instance (a rebalance) moved it to RUNNING since. The start
        // redelivered to this one must not be appended again, and the end must still land.
        PostgresRunProjection other = new PostgresRunProjection(db, repository);
        String id = UUID.randomUUID().toString();
        RunStarting starting = new RunStarting(HANDLE, id, 1, "w", T.plusMillis(2));
        projection.applyAll(List.of(new RunAccepted(spec(id), T), new RunQueued(HANDLE, id, 1, 0, T.plusMillis(1))))
                .block();
        other.applyAll(List.of(starting, new RunStarted(HANDLE, id, 1, "w", T.plusMillis(3)))).block();

        projection.applyAll(List.of(starting)).block();
        assertThat(row(id)).containsEntry("status", "RUNNING");
        projection.applyAll(List.of(new RunFinished(HANDLE, id, RunStatus.SUCCEEDED, 1, "w", 0, 4L, "exited", null,
                new OutputSummary(1, 0, false, false, 1), T.plusMillis(4)))).block();

        assertThat(row(id)).containsEntry("status", "SUCCEEDED")
                .containsEntry("finished_at", T.plusMillis(4).toString());
        assertThat(row(id).get("transitions").toString())
                .isEqualTo("[PENDING/0, QUEUED/1, STARTING/1@w, RUNNING/1@w, SUCCEEDED/1@w:exited]");
    }

    @Test
    void twoProjectorsApplyingTheSamePollsAtOnceLeaveEachRunAsItIsAlone() throws Exception {
        // During a rebalance two gateway instances may both apply a partition's records: rows and histories end as
        // one application leaves them, whichever of the two writes a row first.
        Map<String, Map<String, Object>> alone = new LinkedHashMap<>();
        List<List<RunEvent>> polls = new ArrayList<>();
        for (int r = 0; r < 30; r++) {
            Function<String, List<RunEvent>> life = id -> List.of(
                    new RunAccepted(spec(id), T),
                    new RunQueued(HANDLE, id, 1, 0, T.plusMillis(1)),
                    new RunStarting(HANDLE, id, 1, "w", T.plusMillis(2)),
                    new RunStarted(HANDLE, id, 1, "w", T.plusMillis(3)),
                    new RunFinished(HANDLE, id, RunStatus.SUCCEEDED, 1, "w", 0, 4L, "exited", null,
                            new OutputSummary(1, 0, false, false, 1), T.plusMillis(4)));
            String id = UUID.randomUUID().toString();
            alone.put(id, applyOnePollEach(life));
            List<RunEvent> events = life.apply(id);
            for (int i = 0; i < events.size(); i++) {
                if (polls.size() <= i) {
                    polls.add(new ArrayList<>());
                }
                polls.get(i).add(events.get(i));
            }
        }
        Runnable projector = () -> polls.forEach(poll -> projection.applyAll(poll).block());

        CompletableFuture.allOf(CompletableFuture.runAsync(projector), CompletableFuture.runAsync(projector)).join();

        for (var run : alone.entrySet()) {
            assertThat(row(run.getKey())).as(run.getKey()).isEqualTo(run.getValue());
        }
    }

    /** Applies the events of a fresh run, one poll each; answers the row and its history. */
    private static Map<String, Object> applyOnePollEach(Function<String, List<RunEvent>> life) throws SQLException {
        String id = UUID.randomUUID().toString();
        for (RunEvent event : life.apply(id)) {
            projection.applyAll(List.of(event)).block();
        }
        return row(id);
    }

    /** Applies the events of a fresh run in one poll; answers the row and its history. */
    private static Map<String, Object> applyInOnePoll(Function<String, List<RunEvent>> life) throws SQLException {
        String id = UUID.randomUUID().toString();
        projection.applyAll(life.apply(id)).block();
        return row(id);
    }

    /** The row's columns an event may change, and its history as {@code STATUS/attempt@worker:reason}. */
    private static Map<String, Object> row(String id) throws SQLException {
        Map<String, Object> row = new LinkedHashMap<>();
        try (var db = database.connect();
                var runs = db.prepareStatement("""
                        select status, attempt, worker_id, exit_code, duration_ms, termination_reason, error_code,
                          error_message, stdout_bytes, stderr_bytes, stdout_truncated, stderr_truncated, output_chunks,
                          queued_at, started_at, finished_at, updated_at
                        from runs where id = ?::uuid""");
                var transitions = db.prepareStatement("""
                        select status, attempt, worker_id, reason from run_transitions where run_id = ?::uuid
                        order by at, attempt""")) {
            runs.setString(1, id);
            try (ResultSet rs = runs.executeQuery()) {
                assertThat(rs.next()).as("row of " + id).isTrue();
                for (int c = 1; c <= rs.getMetaData().getColumnCount(); c++) {
                    Object value = rs.getObject(c);
                    row.put(rs.getMetaData().getColumnName(c),
                            value instanceof java.sql.Timestamp at ? at.toInstant().toString() : value);
                }
            }
            transitions.setString(1, id);
            List<String> history = new ArrayList<>();
            try (ResultSet rs = transitions.executeQuery()) {
                while (rs.next()) {
                    history.add(rs.getString(1) + "/" + rs.getInt(2)
                            + (rs.getString(3) == null ? "" : "@" + rs.getString(3))
                            + (rs.getString(4) == null ? "" : ":" + rs.getString(4)));
                }
            }
            row.put("transitions", history);
        }
        return row;
    }

    private static RunSpec spec(String id) {
        return new RunSpec(id, HANDLE, aRuntimeSnapshot(), null, "echo hi", List.of(), Map.of(), "", null,
                30, 1_048_576, 2, Map.of(), "user:alice", T);
    }
}
