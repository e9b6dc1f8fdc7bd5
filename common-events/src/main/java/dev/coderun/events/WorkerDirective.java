package dev.coderun.events;

/** What the scheduler tells the worker fleet, on {@link Topics#DISPATCH}. */
public sealed interface WorkerDirective extends Message permits DispatchRun {

    String runId();
}
