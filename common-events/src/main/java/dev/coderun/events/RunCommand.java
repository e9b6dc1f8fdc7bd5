package dev.coderun.events;

/** Commands on {@link Topics#COMMANDS}, keyed by handle: what a client asked the platform to do. */
public sealed interface RunCommand extends Message permits SubmitRun, CancelRun {

    String handle();

    String runId();
}
