package dev.coderun.systemtests;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;
import tools.jackson.databind.JsonNode;

/**
 * Receives spans as a Zipkin server does ({@code POST /api/v2/spans}, a JSON array of Zipkin v2 spans), in process,
 * so a test can read what the services exported. Every service of the {@link Stack} sends its spans here
 * ({@code CODERUN_ZIPKIN_ENDPOINT}).
 */
final class ZipkinReceiver implements AutoCloseable {

    /** One received span. Times in microseconds since the epoch; {@code parentId} is null for a root span. */
    record ReceivedSpan(String traceId, String id, String parentId, String name, String kind, String service,
            long timestamp, long duration, Map<String, String> tags) {}

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();

    private ZipkinReceiver(HttpServer server) {
        this.server = server;
    }

    static ZipkinReceiver start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        ZipkinReceiver receiver = new ZipkinReceiver(server);
        server.createContext("/api/v2/spans", exchange -> {
            try (InputStream raw = exchange.getRequestBody()) {
                InputStream body = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))
                        ? new GZIPInputStream(raw) : raw;
                receiver.accept(Api.JSON.readTree(body.readAllBytes()));
                exchange.sendResponseHeaders(202, -1);
            } catch (RuntimeException e) {
                exchange.sendResponseHeaders(400, -1);
            } finally {
                exchange.close();
            }
        });
        server.start();
        return receiver;
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v2/spans";
    }

    /** The spans of trace {@code traceId} received so far. */
    List<ReceivedSpan> trace(String traceId) {
        return spans.stream().filter(span -> span.traceId().equals(traceId)).toList();
    }

    /** Every span received so far whose {@code run_id} tag is {@code runId}, whatever its trace. */
    List<ReceivedSpan> taggedWithRun(String runId) {
        return spans.stream().filter(span -> runId.equals(span.tags().get("run_id"))).toList();
    }

    private void accept(JsonNode array) {
        List<ReceivedSpan> received = new ArrayList<>();
        for (JsonNode span : array) {
            Map<String, String> tags = new HashMap<>();
            span.path("tags").properties().forEach(tag -> tags.put(tag.getKey(), tag.getValue().asString()));
            received.add(new ReceivedSpan(
                    span.get("traceId").asString(),
                    span.get("id").asString(),
                    span.hasNonNull("parentId") ? span.get("parentId").asString() : null,
                    span.path("name").asString(""),
                    span.path("kind").asString("INTERNAL"),
                    span.path("localEndpoint").path("serviceName").asString(""),
                    span.path("timestamp").asLong(),
                    span.path("duration").asLong(),
                    tags));
        }
        spans.addAll(received);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
