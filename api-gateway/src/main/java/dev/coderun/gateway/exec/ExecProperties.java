package dev.coderun.gateway.exec;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Buffered exec ({@code coderun.exec.*}). A request waits for its run at most the run's timeout plus
 * {@code waitMargin} (time to queue, start a container and collect the output), and never longer than
 * {@code maxWait}; a run that outlives that is answered 504 {@code upstream_timeout} with its id and keeps running.
 *
 * @param relativeCwdBase what a relative {@code cwd} is resolved against: the container's writable scratch
 *     directory, so {@code "cwd": "example"} runs in {@code /tmp/example} (created when the container starts)
 */
@ConfigurationProperties("coderun.exec")
public record ExecProperties(
        @DefaultValue("30s") Duration waitMargin,
        @DefaultValue("3700s") Duration maxWait,
        @DefaultValue("/tmp") String relativeCwdBase) {

    public ExecProperties {
        if (waitMargin.isNegative() || maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("coderun.exec.wait-margin must not be negative, max-wait must be"
                    + " positive");
        }
        if (!relativeCwdBase.startsWith("/")) {
            throw new IllegalArgumentException("coderun.exec.relative-cwd-base must be an absolute path");
        }
    }

    /** How long a request waits for a run with this timeout. */
    Duration waitFor(int timeoutSeconds) {
        Duration wanted = Duration.ofSeconds(timeoutSeconds).plus(waitMargin);
        return wanted.compareTo(maxWait) > 0 ? maxWait : wanted;
    }

    /** An absolute cwd as given; a relative one under {@link #relativeCwdBase}; null stays the image's default. */
    String resolveCwd(String cwd) {
        if (cwd == null || cwd.startsWith("/")) {
            return cwd;
        }
        String base = relativeCwdBase.endsWith("/") ? relativeCwdBase : relativeCwdBase + "/";
        return cwd.isEmpty() || cwd.equals(".") ? relativeCwdBase : base + cwd;
    }
}
