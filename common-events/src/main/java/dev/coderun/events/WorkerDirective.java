package dev.coderun.events;

/** What the scheduler tells the worker fleet: {@link DispatchRun} on {@link Topics#DISPATCH}, {@link StopRun} on {@link Topics#CONTROL}. */
public sealed interface WorkerDirective extends Message permits DispatchRun, StopRun {

    String runId();
}
