package dev.coderun.events;

/**
 * What an operator tells one worker, on {@link Topics#CONTROL} with key = worker id (so one worker's directives stay
 * in order). Every worker reads every directive and applies those naming its id.
 */
public sealed interface FleetDirective extends Message permits DrainWorker, UndrainWorker {

    String workerId();
}
