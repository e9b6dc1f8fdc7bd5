package dev.coderun.events;

/** Why the platform could not run a run, e.g. {@code image_unavailable}, {@code internal}. */
public record RunError(String code, String message) {}
