package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.coderun.events.RunStatus;
import dev.coderun.systemtests.ZipkinReceiver.ReceivedSpan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * One trace per run: the spans the three services export for a run (to the stack's in-process Zipkin receiver) share
 * the trace id of the run's record, and nest as the run travels — the HTTP request, the command's publish, the
 * scheduler's decision, the worker's dispatch, its execution (container create, start, wait) and the projection of
 * its events and output chunks. A cancel is a request of its own: its spans (the publish of the {@code CancelRun}, the
 * scheduler's decision, the stop on the worker) form the cancel request's trace, tagged with the run's id, while what
 * the run reports about its end stays in the run's trace.
 */
class TracingIT {

    private static final Duration EXPORT_BOUND = Duration.ofSeconds(30);
    private static final String HEX_TRACE_ID = "[0-9a-f]{32}";

    private static Tenant tenant;

    @BeforeAll
    static void registerRuntimes() {
        tenant = Tenant.create("trace");
    }

    @Test
    void theSpansOfOneRunShareItsTraceIdAndNestFromTheRequestToTheProjection() {
        Submitted submitted = submit("echo traced");
        String runId = submitted.runId();
        String traceId = submitted.traceId();
        assertThat(traceId).matches(HEX_TRACE_ID);

        JsonNode run = tenant.awaitRun(runId, Tenant::terminal);
        assertThat(run.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(run.get("trace_id").asString()).isEqualTo(traceId);

        Map<String, ReceivedSpan> trace = awaitSpans(traceId,
                "gateway project runfinished", "container wait", "scheduler submitrun", "gateway project outputchunk");
        ReceivedSpan projection = named(trace, "gateway project runfinished");
        assertThat(ancestry(trace, projection)).extracting(span -> lower(span.name()))
                .containsSubsequence(
                        "gateway project runfinished",
                        "worker execute",
                        "worker dispatch",
                        "scheduler submitrun",
                        "gateway publish submitrun");
        List<ReceivedSpan> chain = ancestry(trace, projection);
        ReceivedSpan root = chain.getLast();
        assertThat(root.parentId()).isNull();
        assertThat(root.kind()).isEqualTo("SERVER");
        assertThat(root.service()).isEqualTo("coderun-gateway");
        assertThat(lower(root.name())).contains("post");
        // Each span of the chain starts no earlier than its parent.
        for (int i = 0; i + 1 < chain.size(); i++) {
            assertThat(chain.get(i).timestamp()).as(chain.get(i).name() + " after " + chain.get(i + 1).name())
                    .isGreaterThanOrEqualTo(chain.get(i + 1).timestamp());
        }
        assertThat(services(chain)).containsExactlyInAnyOrder("coderun-gateway", "coderun-scheduler", "coderun-worker");

        // The container phases are children of the execution, one after another. (Its other children are the
        // scheduler's and the projector's handling of the events the worker published.)
        ReceivedSpan execution = named(trace, "worker execute");
        List<ReceivedSpan> phases = trace.values().stream()
                .filter(span -> execution.id().equals(span.parentId()))
                .filter(span -> lower(span.name()).startsWith("container "))
                .sorted(Comparator.comparingLong(ReceivedSpan::timestamp))
                .toList();
        assertThat(phases).extracting(span -> lower(span.name()))
                .containsExactly("container create", "container start", "container wait");
        for (int i = 0; i + 1 < phases.size(); i++) {
            assertThat(phases.get(i).timestamp() + phases.get(i).duration())
                    .isLessThanOrEqualTo(phases.get(i + 1).timestamp());
        }

        // The output's projection continues the execution that wrote it.
        assertThat(ancestry(trace, named(trace, "gateway project outputchunk"))).extracting(span -> lower(span.name()))
                .containsSubsequence("gateway project outputchunk", "worker execute", "worker dispatch",
                        "scheduler submitrun", "gateway publish submitrun");

        // Whatever service tagged a span with the run, it is in the run's trace.
        assertThat(Stack.get().spans.taggedWithRun(runId)).isNotEmpty()
                .allSatisfy(span -> assertThat(span.traceId()).as(span.name()).isEqualTo(traceId));
    }

    @Test
    void aRunQueuedBehindTheHandlesLimitJoinsItsOwnTraceWhenDispatchedLater() {
        List<String> blockers = new ArrayList<>();
        for (int i = 0; i < Stack.MAX_ACTIVE_PER_HANDLE; i++) {
            blockers.add(tenant.submit(Map.of("runtime_key", "busybox", "command", "sleep 2")));
        }
        Submitted submitted = submit("echo later");
        String runId = submitted.runId();
        String traceId = submitted.traceId();

        JsonNode run = tenant.awaitRun(runId, Tenant::terminal);
        assertThat(run.get("status").asString()).isEqualTo("SUCCEEDED");
        assertThat(run.get("trace_id").asString()).isEqualTo(traceId);
        blockers.forEach(blocker -> assertThat(tenant.run(blocker).get("trace_id").asString())
                .matches(HEX_TRACE_ID).isNotEqualTo(traceId));

        Map<String, ReceivedSpan> trace = awaitSpans(traceId, "worker execute", "scheduler dispatch");
        ReceivedSpan dispatch = named(trace, "worker dispatch");
        // Dispatched when a slot freed: by a later decision that continued the trace the run's admission started.
        assertThat(ancestry(trace, dispatch)).extracting(span -> lower(span.name()))
                .containsSubsequence("worker dispatch", "scheduler dispatch", "scheduler submitrun",
                        "gateway publish submitrun");
        assertThat(named(trace, "scheduler dispatch").timestamp())
                .isGreaterThan(named(trace, "scheduler submitrun").timestamp());
    }

    @Test
    void aCancelIsTracedFromItsRequestToTheStopOnTheWorkerAndTheRunKeepsItsTrace() {
        Submitted submitted = submit("sleep 30");
        String runId = submitted.runId();
        String runTrace = submitted.traceId();
        tenant.awaitStatus(runId, RunStatus.RUNNING);

        Api.Response cancel = tenant.api.post(tenant.runs() + "/" + runId + "/cancel", null);
        assertThat(cancel.status()).as(cancel.body().toString()).isIn(200, 202);
        JsonNode run = tenant.awaitStatus(runId, RunStatus.CANCELLED);
        assertThat(run.get("trace_id").asString()).isEqualTo(runTrace);

        // The cancel's publish, found by the run it names, is in the trace of the cancel request.
        ReceivedSpan publish = await("the CancelRun's publish span").atMost(EXPORT_BOUND)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> Stack.get().spans.taggedWithRun(runId).stream()
                        .filter(span -> lower(span.name()).equals("gateway publish cancelrun"))
                        .findFirst(), Optional::isPresent)
                .orElseThrow();
        String cancelTrace = publish.traceId();
        assertThat(cancelTrace).matches(HEX_TRACE_ID).isNotEqualTo(runTrace);
        Map<String, ReceivedSpan> trace = awaitSpans(cancelTrace, "worker stop", "scheduler cancelrun");
        List<ReceivedSpan> chain = ancestry(trace, named(trace, "worker stop"));
        assertThat(chain).extracting(span -> lower(span.name()))
                .containsSubsequence("worker stop", "scheduler cancelrun", "gateway publish cancelrun");
        ReceivedSpan root = chain.getLast();
        assertThat(root.parentId()).isNull();
        assertThat(root.kind()).isEqualTo("SERVER");
        assertThat(root.service()).isEqualTo("coderun-gateway");
        assertThat(lower(root.name())).contains("post");
        assertThat(services(chain)).containsExactlyInAnyOrder("coderun-gateway", "coderun-scheduler", "coderun-worker");
        assertThat(trace.values()).as("the cancel's spans").extracting(span -> span.tags().get("run_id"))
                .filteredOn(tag -> tag != null).isNotEmpty().containsOnly(runId);

        // The worker reports the run's end from its execution: that stays in the run's trace.
        Map<String, ReceivedSpan> runSpans = awaitSpans(runTrace, "worker execute", "gateway project runfinished");
        assertThat(ancestry(runSpans, named(runSpans, "gateway project runfinished")))
                .extracting(span -> lower(span.name())).contains("worker execute");
        assertThat(runSpans.values()).extracting(span -> lower(span.name()))
                .doesNotContain("gateway publish cancelrun", "worker stop");
    }

    /** A run accepted with its trace. */
    private record Submitted(String runId, String traceId) {}

    /** Submits {@code command} on busybox; the run is accepted and names a trace. */
    private static Submitted submit(String command) {
        Api.Response submitted = tenant.api.post(tenant.runs(), Map.of("runtime_key", "busybox", "command", command));
        assertThat(submitted.status()).as(submitted.body().toString()).isEqualTo(202);
        return new Submitted(submitted.data().get("id").asString(), submitted.data().get("trace_id").asString());
    }

    /** The spans of the trace, by id, once every one of {@code names} (lower case) has arrived. */
    private static Map<String, ReceivedSpan> awaitSpans(String traceId, String... names) {
        return await("spans " + List.of(names) + " of trace " + traceId).atMost(EXPORT_BOUND)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> Stack.get().spans.trace(traceId).stream()
                                .collect(Collectors.toMap(ReceivedSpan::id, Function.identity(), (a, b) -> a)),
                        spans -> spans.values().stream().map(span -> lower(span.name())).toList()
                                .containsAll(List.of(names)));
    }

    private static ReceivedSpan named(Map<String, ReceivedSpan> trace, String name) {
        List<ReceivedSpan> found = trace.values().stream().filter(span -> lower(span.name()).equals(name)).toList();
        assertThat(found).as("spans named " + name).hasSize(1);
        return found.getFirst();
    }

    /** {@code span}, its parent, its parent's parent… up to the root; fails on a parent missing from the trace. */
    private static List<ReceivedSpan> ancestry(Map<String, ReceivedSpan> trace, ReceivedSpan span) {
        List<ReceivedSpan> chain = new ArrayList<>();
        for (ReceivedSpan at = span; at != null; at = at.parentId() == null ? null : trace.get(at.parentId())) {
            if (at.parentId() != null) {
                assertThat(trace).as("parent of " + at.name()).containsKey(at.parentId());
            }
            chain.add(at);
        }
        return chain;
    }

    private static List<String> services(List<ReceivedSpan> spans) {
        return spans.stream().map(ReceivedSpan::service).distinct().toList();
    }

    private static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
