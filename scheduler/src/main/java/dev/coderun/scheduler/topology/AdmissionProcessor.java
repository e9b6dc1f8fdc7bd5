package dev.coderun.scheduler.topology;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.OutputSummary;
import dev.coderun.events.RunCommand;
import dev.coderun.events.RunError;
import dev.coderun.events.RunEvent;
import dev.coderun.events.RunFinished;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RunStatus;
import dev.coderun.events.StopRun;
import dev.coderun.events.SubmitRun;
import dev.coderun.events.Topics;
import dev.coderun.events.WorkerDirective;
import dev.coderun.observability.KafkaTracing;
import dev.coderun.scheduler.admission.ActiveRun;
import dev.coderun.scheduler.admission.Admission;
import dev.coderun.scheduler.admission.AdmissionDecision;
import dev.coderun.scheduler.admission.HandleState;
import dev.coderun.scheduler.admission.QueuedRun;
import dev.coderun.scheduler.topology.StoreRunBook.SchedulerStores;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Applies {@link Admission} decisions: reads the handle's state, decides, writes what the decision says and forwards
 * its events and directives. Under exactly-once processing all of it commits in one transaction with the input offset.
 * A wall-clock punctuation checks the leases of claimed runs. A record that cannot be read or processed goes to the
 * dead-letter topic; a submission among them ends its run ERRORED ({@code internal}); processing continues.
 *
 * <p>Tracing ({@link KafkaTracing}): a record carrying a trace context is processed in a span continuing it (the
 * admission decision, for a submission); what the decision forwards about that run carries the span's context, and an
 * accepted run's context is kept in {@value SchedulerTopology#TRACE_STORE} until it ends, so what is forwarded about
 * it later (its dispatch once its turn comes, a re-attempt) continues the same trace. Lines logged while a record is
 * processed carry its {@code run_id} (MDC).
 */
final class AdmissionProcessor implements Processor<String, Inbound, String, Object> {

    private static final Logger log = LoggerFactory.getLogger(AdmissionProcessor.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** The MDC key naming the run a record is about. */
    private static final String RUN_ID = "run_id";
    /** How many handles' states {@link #recentStates} keeps. */
    private static final int RECENT_STATES = 4096;

    private final Admission admission;
    private final Clock clock;
    private final Duration leaseCheckInterval;
    private final SchedulerMetrics metrics;
    private final KafkaTracing traces;
    private ProcessorContext<String, Object> context;
    private SchedulerStores stores;
    private KeyValueStore<String, String> runTraces;
    /**
     * The states this processor last wrote or read, by handle, so a record of a busy handle does not read its state
     * back from JSON: every write of the handle store goes through {@link #apply}, which updates both. Emptied by
     * {@link #init}, which Kafka Streams calls again after it restores the task's stores (a revived or resumed task
     * included).
     */
    private final Map<String, HandleState> recentStates = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, HandleState> eldest) {
            return size() > RECENT_STATES;
        }
    };

    AdmissionProcessor(Admission admission, Clock clock, Duration leaseCheckInterval, SchedulerMetrics metrics,
            KafkaTracing traces) {
        this.admission = admission;
        this.clock = clock;
        this.leaseCheckInterval = leaseCheckInterval;
        this.metrics = metrics;
        this.traces = traces;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        recentStates.clear();
        this.stores = new SchedulerStores(
                context.getStateStore(SchedulerTopology.HANDLE_STORE),
                context.getStateStore(SchedulerTopology.QUEUE_STORE),
                context.getStateStore(SchedulerTopology.QUEUED_SEQ_STORE),
                context.getStateStore(SchedulerTopology.SPEC_STORE),
                context.getStateStore(SchedulerTopology.ACCEPTED_STORE),
                context.getStateStore(SchedulerTopology.HEARTBEAT_STORE));
        this.runTraces = context.getStateStore(SchedulerTopology.TRACE_STORE);
        context.schedule(leaseCheckInterval, PunctuationType.WALL_CLOCK_TIME, this::checkLeases);
    }

    @Override
    public void process(Record<String, Inbound> record) {
        String handle = record.key();
        if (handle == null || record.value() == null) {
            return;
        }
        String runId = record.value() instanceof Inbound.Readable readable ? runIdOf(readable) : null;
        Span span = runId == null ? Span.NOOP : traces.consumer(record.headers(),
                "scheduler " + ((Inbound.Readable) record.value()).message().getClass().getSimpleName(), runId);
        if (runId != null) {
            MDC.put(RUN_ID, runId);
        }
        try (Tracer.SpanInScope scope = traces.inScope(span)) {
            switch (record.value()) {
                case Inbound.Readable readable -> decide(handle, readable, record.timestamp(), span, runId);
                case Inbound.Unreadable unreadable -> poison(record, unreadable.reason());
            }
        } catch (RuntimeException e) {
            log.error("could not process a record of handle {}; dead-lettering it", handle, e);
            span.error(e);
            poison(record, e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            span.end();
            MDC.remove(RUN_ID);
        }
    }

    private static String runIdOf(Inbound.Readable readable) {
        return switch (readable.message()) {
            case RunCommand command -> command.runId();
            case RunEvent event -> event.runId();
            default -> null;
        };
    }

    private void decide(String handle, Inbound.Readable readable, long timestamp, Span span, String runId) {
        HandleState state = stateOf(handle);
        StoreRunBook book = new StoreRunBook(handle, stores);
        AdmissionDecision decision = switch (readable.message()) {
            case RunCommand command -> admission.onCommand(state, command, book, clock.instant());
            case RunEvent event -> admission.onEvent(state, event, book, clock.instant());
            default -> {
                log.warn("ignoring {} on a scheduler input topic", readable.message().getClass().getSimpleName());
                yield null;
            }
        };
        if (decision != null) {
            apply(handle, state, decision, timestamp, span, runId);
        }
    }

    private void checkLeases(long now) {
        List<KeyValue<String, HandleState>> claimed = new ArrayList<>();
        // The same pass over the task's handles counts their load for the gauges.
        HandleLoad.Tally load = new HandleLoad.Tally(metrics.busiestHandles());
        try (KeyValueIterator<String, HandleState> all = stores.handles().all()) {
            all.forEachRemaining(entry -> {
                load.add(entry.key, entry.value.active().size(), entry.value.queued());
                if (entry.value.active().values().stream().anyMatch(ActiveRun::claimed)) {
                    claimed.add(entry);
                }
            });
        }
        metrics.taskLoad(context.taskId().toString(), load.load());
        for (KeyValue<String, HandleState> entry : claimed) {
            try {
                AdmissionDecision decision = admission.onClock(
                        entry.value, new StoreRunBook(entry.key, stores), Instant.ofEpochMilli(now));
                apply(entry.key, entry.value, decision, now, Span.NOOP, null);
            } catch (RuntimeException e) {
                log.error("checking the leases of handle {} failed", entry.key, e);
            }
        }
    }

    /**
     * Writes and forwards what {@code decision} says. {@code span} is the span the input record about run
     * {@code runId} is processed in: what is forwarded about that run carries its context; what is forwarded about
     * another run carries the context kept for it, in a short span of its own.
     */
    private void apply(String handle, HandleState before, AdmissionDecision decision, long timestamp, Span span,
            String runId) {
        if (decision.changesNothing(before)) {
            return;
        }
        if (decision.acceptedRunId() != null) {
            stores.accepted().put(decision.acceptedRunId(), clock.millis());
        }
        for (RunSpec spec : decision.stored()) {
            stores.specs().put(spec.runId(), spec);
            String traceparent = spec.runId().equals(runId) ? traces.traceparent(span) : null;
            if (traceparent != null) {
                runTraces.put(spec.runId(), traceparent);
            }
        }
        for (QueuedRun queued : decision.enqueued()) {
            stores.queue().put(StoreRunBook.queueKey(handle, queued.seq()), queued.runId());
            stores.queuedSeqs().put(queued.runId(), queued.seq());
        }
        for (QueuedRun dequeued : decision.dequeued()) {
            stores.queue().delete(StoreRunBook.queueKey(handle, dequeued.seq()));
            stores.queuedSeqs().delete(dequeued.runId());
        }
        for (String ended : decision.ended()) {
            stores.specs().delete(ended);
        }
        stores.handles().put(handle, decision.state());
        recentStates.put(handle, decision.state());
        Map<String, Optional<String>> traced = new HashMap<>();
        for (RunEvent event : decision.events()) {
            context.forward(new Record<>(event.handle(), event, timestamp,
                    headersFor(event.runId(), span, runId, traced)), SchedulerTopology.EVENTS_SINK);
        }
        for (WorkerDirective directive : decision.directives()) {
            String sink = switch (directive) {
                case DispatchRun dispatch -> {
                    log.debug("dispatching run {} attempt {}", dispatch.runId(), dispatch.attempt());
                    yield SchedulerTopology.DISPATCH_SINK;
                }
                case StopRun stop -> {
                    log.info("telling workers to stop run {} attempt {}: {}", stop.runId(), stop.attempt(),
                            stop.reason());
                    yield SchedulerTopology.CONTROL_SINK;
                }
            };
            context.forward(new Record<>(directive.runId(), directive, timestamp,
                    headersFor(directive.runId(), span, runId, traced)), sink);
        }
        if (!decision.directives().isEmpty()) {
            // A directive is visible to workers only once the transaction commits: ask for the commit at the end of
            // this processing loop rather than at the next commit interval, which would add up to that interval to
            // every dispatch hop.
            context.commit();
        }
        // After the forwards, so an ended run's last records still carry its trace.
        decision.ended().forEach(runTraces::delete);
        metrics.applied(decision, clock.instant());
    }

    @Override
    public void close() {
        if (context != null) {
            metrics.taskClosed(context.taskId().toString());
        }
    }

    /**
     * The trace headers for a record about run {@code about}: {@code span}'s context when it is the run being
     * processed, else that of a short span continuing the run's kept context (one per run and decision, memoised in
     * {@code traced}). Empty when the run has no trace.
     */
    private Headers headersFor(String about, Span span, String runId, Map<String, Optional<String>> traced) {
        Optional<String> traceparent = traced.computeIfAbsent(about, id -> {
            if (!KafkaTracing.untraced(span) && id.equals(runId)) {
                return Optional.ofNullable(traces.traceparent(span));
            }
            Span later = traces.continueFrom(runTraces.get(id), "scheduler dispatch", Span.Kind.PRODUCER, id);
            later.end();
            return Optional.ofNullable(traces.traceparent(later));
        });
        return KafkaTracing.headers(traceparent.orElse(null));
    }

    /**
     * Sends the record to the dead-letter topic as it arrived. When it is a submission (readable or not, as long as
     * its run id can be found) of a run not accepted yet, the run ends ERRORED {@code internal}, so it does not stay
     * PENDING for ever.
     */
    private void poison(Record<String, Inbound> record, String reason) {
        Optional<RecordMetadata> source = context.recordMetadata();
        String from = source.map(m -> m.topic() + "-" + m.partition() + "@" + m.offset()).orElse("unknown");
        log.warn("dead-lettering record {} of handle {}: {}", from, record.key(), reason);
        RecordHeaders headers = new RecordHeaders();
        headers.add(Topics.HEADER_DLQ_REASON, reason.getBytes(StandardCharsets.UTF_8));
        headers.add(Topics.HEADER_DLQ_SOURCE, from.getBytes(StandardCharsets.UTF_8));
        context.forward(new Record<String, Object>(record.key(), record.value().raw(), record.timestamp(), headers),
                SchedulerTopology.DEAD_LETTER_SINK);
        if (source.map(m -> Topics.COMMANDS.equals(m.topic())).orElse(false)) {
            submittedRunId(record.value()).filter(runId -> stores.accepted().get(runId) == null).ifPresent(runId -> {
                stores.accepted().put(runId, clock.millis());
                context.forward(new Record<>(record.key(), new RunFinished(record.key(), runId, RunStatus.ERRORED,
                        0, null, null, null, "error",
                        new RunError(RunError.INTERNAL, "the scheduler could not process the submission"),
                        OutputSummary.NONE, clock.instant()), record.timestamp()), SchedulerTopology.EVENTS_SINK);
            });
        }
    }

    /** The run id of a submission, found leniently in whatever JSON the record holds. */
    private static Optional<String> submittedRunId(Inbound inbound) {
        if (inbound instanceof Inbound.Readable readable) {
            return readable.message() instanceof SubmitRun submit ? Optional.ofNullable(submit.runId())
                    : Optional.empty();
        }
        try {
            JsonNode envelope = JSON.readTree(inbound.raw());
            if (!"SubmitRun".equals(envelope.path("type").asString(""))) {
                return Optional.empty();
            }
            String runId = envelope.path("payload").path("spec").path("run_id").asString("");
            return runId.isBlank() ? Optional.empty() : Optional.of(runId);
        } catch (RuntimeException notJson) {
            return Optional.empty();
        }
    }

    private HandleState stateOf(String handle) {
        HandleState recent = recentStates.get(handle);
        if (recent != null) {
            return recent;
        }
        HandleState state = stores.handles().get(handle);
        if (state == null) {
            return HandleState.EMPTY;
        }
        recentStates.put(handle, state);
        return state;
    }
}
