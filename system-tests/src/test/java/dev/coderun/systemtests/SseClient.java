package dev.coderun.systemtests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import tools.jackson.databind.JsonNode;

/**
 * A server-sent-events reader for the system tests: connects, reads events on its own thread into a list, and knows
 * whether the server ended the stream. {@link #close()} drops the connection, as a client going away would.
 */
final class SseClient implements AutoCloseable {

    record Event(String id, String event, JsonNode data) {}

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final int status;
    final String errorBody;
    final List<Event> events = new CopyOnWriteArrayList<>();
    final List<String> comments = new CopyOnWriteArrayList<>();
    private final InputStream body;
    private volatile boolean ended;

    private SseClient(int status, String errorBody, InputStream body) {
        this.status = status;
        this.errorBody = errorBody;
        this.body = body;
        if (body != null) {
            Thread.ofPlatform().daemon().name("sse-reader").start(this::read);
        } else {
            ended = true;
        }
    }

    static SseClient open(String url, String token, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .header("Accept", "text/event-stream")
                .header("Authorization", "Bearer " + token);
        headers.forEach(request::header);
        try {
            HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() != 200) {
                try (InputStream in = response.body()) {
                    return new SseClient(response.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8),
                            null);
                }
            }
            return new SseClient(200, null, response.body());
        } catch (IOException e) {
            throw new IllegalStateException("GET " + url + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Whether the server ended the stream. */
    boolean ended() {
        return ended;
    }

    /** The events named {@code name}. */
    List<Event> named(String name) {
        return events.stream().filter(e -> name.equals(e.event())).toList();
    }

    private void read() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String event = null;
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isEmpty()) {
                    if (!data.isEmpty() || event != null) {
                        events.add(new Event(id, event, Api.JSON.readTree(data.toString())));
                    }
                    id = null;
                    event = null;
                    data.setLength(0);
                } else if (line.startsWith(":")) {
                    comments.add(line.substring(1));
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).strip();
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).strip();
                } else if (line.startsWith("data:")) {
                    if (!data.isEmpty()) {
                        data.append('\n');
                    }
                    data.append(line.substring(5).startsWith(" ") ? line.substring(6) : line.substring(5));
                }
            }
        } catch (IOException e) {
            // closed by the test, or the connection dropped: either way the stream is over
        } finally {
            ended = true;
        }
    }

    @Override
    public void close() {
        try {
            if (body != null) {
                body.close();
            }
        } catch (IOException e) {
            // already closed
        }
    }
}
