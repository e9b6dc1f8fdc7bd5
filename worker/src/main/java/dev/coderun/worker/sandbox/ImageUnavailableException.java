package dev.coderun.worker.sandbox;

/** The run's image is neither on the engine nor pullable from its registry. */
public final class ImageUnavailableException extends Exception {

    public ImageUnavailableException(String image, String reason) {
        super("image " + image + " is unavailable: " + reason);
    }
}
