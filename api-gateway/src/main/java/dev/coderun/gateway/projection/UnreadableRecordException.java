package dev.coderun.gateway.projection;

/** A record that is not a message this build reads, or not one its topic carries: retrying cannot help. */
class UnreadableRecordException extends RuntimeException {

    UnreadableRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
