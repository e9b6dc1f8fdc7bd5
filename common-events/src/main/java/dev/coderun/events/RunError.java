package dev.coderun.events;

/** Why the platform could not run a run, e.g. {@code image_unavailable}, {@code internal}. */
public record RunError(String code, String message) {

    /** The worker holding the run's last allowed attempt went silent or restarted. */
    public static final String WORKER_LOST = "worker_lost";
    /** The platform failed on the run itself, e.g. a command the scheduler could not process. */
    public static final String INTERNAL = "internal";
}
