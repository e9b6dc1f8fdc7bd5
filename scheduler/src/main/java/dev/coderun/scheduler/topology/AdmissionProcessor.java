package dev.coderun.scheduler.topology;

import dev.coderun.events.DispatchRun;
import dev.coderun.events.Message;
import dev.coderun.events.RunCommand;
import dev.coderun.events.RunEvent;
import dev.coderun.scheduler.admission.Admission;
import dev.coderun.scheduler.admission.AdmissionDecision;
import dev.coderun.scheduler.admission.HandleState;
import java.time.Clock;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@link Admission} decisions: reads the handle's state, decides, writes the state back and forwards the
 * events and dispatches. Under exactly-once processing all of it commits in one transaction with the input offset.
 */
final class AdmissionProcessor implements Processor<String, Message, String, Message> {

    private static final Logger log = LoggerFactory.getLogger(AdmissionProcessor.class);

    private final Admission admission;
    private final Clock clock;
    private ProcessorContext<String, Message> context;
    private KeyValueStore<String, HandleState> handles;
    private KeyValueStore<String, Long> acceptedRuns;

    AdmissionProcessor(Admission admission, Clock clock) {
        this.admission = admission;
        this.clock = clock;
    }

    @Override
    public void init(ProcessorContext<String, Message> context) {
        this.context = context;
        this.handles = context.getStateStore(SchedulerTopology.HANDLE_STORE);
        this.acceptedRuns = context.getStateStore(SchedulerTopology.ACCEPTED_STORE);
    }

    @Override
    public void process(Record<String, Message> record) {
        String handle = record.key();
        Message message = record.value();
        if (handle == null || message == null) {
            return;
        }
        HandleState state = handles.get(handle);
        if (state == null) {
            state = HandleState.EMPTY;
        }
        AdmissionDecision decision = switch (message) {
            case RunCommand command -> admission.onCommand(
                    state, command, acceptedRuns.get(command.runId()) != null, clock.instant());
            case RunEvent event -> admission.onEvent(state, event, clock.instant());
            default -> {
                log.warn("ignoring {} on a scheduler input topic", message.getClass().getSimpleName());
                yield null;
            }
        };
        if (decision == null || decision.changesNothing(state)) {
            return;
        }
        if (decision.acceptedRunId() != null) {
            acceptedRuns.put(decision.acceptedRunId(), clock.millis());
        }
        handles.put(handle, decision.state());
        for (RunEvent event : decision.events()) {
            context.forward(record.withKey(event.handle()).withValue(event), SchedulerTopology.EVENTS_SINK);
        }
        for (DispatchRun dispatch : decision.dispatches()) {
            log.debug("dispatching run {} attempt {}", dispatch.runId(), dispatch.attempt());
            context.forward(record.withKey(dispatch.runId()).withValue(dispatch), SchedulerTopology.DISPATCH_SINK);
        }
    }
}
