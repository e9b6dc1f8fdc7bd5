package dev.coderun.gateway.ratelimit;

import java.util.regex.Pattern;
import org.springframework.http.HttpMethod;

/**
 * The kinds of route a token has a separate budget for ({@code coderun.rate-limits.<name>}). Every API request falls in
 * exactly one; {@link #of} is the one place that decides which.
 */
public enum RouteClass {
    /** GET (and HEAD, OPTIONS) of a record, a list, output, limits or docs: everything that reads and is no stream. */
    READS("reads"),
    /** POST, PUT, PATCH and DELETE, except exec: submits, batches, cancels, runtime changes, support reports. */
    WRITES("writes"),
    /** {@code POST /v1/runtimes/{runtime}/exec}: a run that holds its request open until it ends. */
    EXEC("exec"),
    /** Opening one of the two SSE streams ({@code .../code-runs/{runId}/events}, {@code .../code-runs/events}). */
    STREAMS("streams");

    private static final Pattern EXEC_PATH = Pattern.compile("/v1/runtimes/[^/]+/exec/?");
    private static final Pattern STREAM_PATH =
            Pattern.compile("/v2/handles/[^/]+/code-runs/(?:[^/]+/)?events/?");

    private final String key;

    RouteClass(String key) {
        this.key = key;
    }

    /** The name in configuration, headers and {@code GET .../limits}: {@code reads}, {@code writes}, ... */
    public String key() {
        return key;
    }

    /** The class of a request by its method and path (within the application). Pure. */
    public static RouteClass of(HttpMethod method, String path) {
        boolean reading = method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.OPTIONS;
        if (reading) {
            return STREAM_PATH.matcher(path).matches() ? STREAMS : READS;
        }
        return EXEC_PATH.matcher(path).matches() ? EXEC : WRITES;
    }
}
