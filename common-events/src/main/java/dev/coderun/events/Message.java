package dev.coderun.events;

/**
 * Every record that crosses Kafka. The hierarchy is sealed so that each {@code switch} over a topic's messages is
 * checked by the compiler, and {@link MessageCatalog} names each concrete type with its wire name and version.
 */
public sealed interface Message permits RunCommand, RunEvent, WorkerDirective, FleetDirective, OutputChunk,
        WorkerHeartbeat {}
