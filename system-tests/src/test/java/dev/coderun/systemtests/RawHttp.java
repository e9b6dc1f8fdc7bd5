package dev.coderun.systemtests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sends one HTTP/1.1 request as given, byte for byte where needed: through {@link HttpClient} when the JDK client
 * accepts the request, otherwise over a plain socket (malformed percent-escapes, raw bytes in the request line,
 * control characters in headers, a forged {@code Host}), which the JDK client refuses to send.
 */
final class RawHttp {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    /**
     * @param target the request target as it goes on the wire; characters stand for bytes 0-255 (ISO-8859-1)
     * @param headers names and values as they go on the wire, in order; characters stand for bytes 0-255
     * @param rawOnly send over a socket even if the JDK client would take it
     */
    record Request(String method, String target, List<Map.Entry<String, String>> headers, byte[] body,
            boolean rawOnly) {

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder(method).append(' ').append(printable(target, 300));
            headers.forEach(h -> s.append("\n  ").append(printable(h.getKey(), 60)).append(": ")
                    .append(printable(h.getValue(), 120)));
            if (body != null) {
                s.append("\n  body (").append(body.length).append(" bytes): ")
                        .append(printable(new String(body, StandardCharsets.ISO_8859_1), 400));
            }
            return s.toString();
        }
    }

    /** @param headers lower-case names; the first value of each */
    record Response(int status, Map<String, String> headers, byte[] body, String transport) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        boolean isEventStream() {
            String type = header("content-type");
            return type != null && type.startsWith("text/event-stream");
        }
    }

    private final String host;
    private final int port;

    RawHttp(String baseUrl) {
        URI uri = URI.create(baseUrl);
        this.host = uri.getHost();
        this.port = uri.getPort();
    }

    Response send(Request request) {
        if (!request.rawOnly()) {
            HttpRequest built = viaClient(request);
            if (built != null) {
                return sendViaClient(built);
            }
        }
        return sendRaw(request);
    }

    /** The JDK client's version of the request, or null when it refuses to build it. */
    private HttpRequest viaClient(Request request) {
        if (request.target().length() > 4000) {
            return null; // the server may answer 414 before the JDK client has sent it all
        }
        try {
            for (char c : request.target().toCharArray()) {
                if (c > 0x7e || c < 0x21) {
                    return null;
                }
            }
            HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://" + host + ":" + port
                            + request.target()))
                    .timeout(TIMEOUT)
                    .method(request.method(), request.body() == null
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(request.body()));
            for (var header : request.headers()) {
                builder.header(header.getKey(), header.getValue());
            }
            return builder.build();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Response sendViaClient(HttpRequest request) {
        try {
            HttpResponse<InputStream> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofInputStream());
            Map<String, String> headers = new LinkedHashMap<>();
            response.headers().map().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT),
                    values.getFirst()));
            byte[] body;
            try (InputStream in = response.body()) {
                // A stream stays open: its headers are the answer.
                body = String.valueOf(headers.get("content-type")).startsWith("text/event-stream")
                        ? new byte[0] : in.readAllBytes();
            }
            return new Response(response.statusCode(), headers, body, "client");
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private Response sendRaw(Request request) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(latin1(request.method() + " " + request.target() + " HTTP/1.1\r\n"));
        boolean hostGiven = request.headers().stream().anyMatch(h -> h.getKey().equalsIgnoreCase("host"));
        if (!hostGiven) {
            out.writeBytes(latin1("Host: " + host + ":" + port + "\r\n"));
        }
        for (var header : request.headers()) {
            out.writeBytes(latin1(header.getKey() + ": " + header.getValue() + "\r\n"));
        }
        if (request.body() != null) {
            out.writeBytes(latin1("Content-Length: " + request.body().length + "\r\n"));
        }
        out.writeBytes(latin1("Connection: close\r\n\r\n"));
        if (request.body() != null) {
            out.writeBytes(request.body());
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 5000);
            socket.setSoTimeout((int) TIMEOUT.toMillis());
            OutputStream os = socket.getOutputStream();
            try {
                os.write(out.toByteArray());
                os.flush();
            } catch (IOException e) {
                // The server may answer and close before reading a large body; the answer is still there to read.
            }
            return parse(socket.getInputStream(), request.method().equals("HEAD"));
        } catch (IOException e) {
            throw new UncheckedIOException("raw " + request.method() + " " + printable(request.target(), 200)
                    + " failed", e);
        }
    }

    private static Response parse(InputStream in, boolean head) throws IOException {
        ByteArrayOutputStream responseHead = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before a complete response head: "
                        + printable(responseHead.toString(StandardCharsets.ISO_8859_1), 300));
            }
            responseHead.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = responseHead.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        if (status >= 100 && status < 200 && status != 101) {
            // An interim answer (100 Continue to an Expect header): the final answer follows on the same connection.
            return parse(in, head);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.putIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
        }
        if (head || String.valueOf(headers.get("content-type")).startsWith("text/event-stream")) {
            return new Response(status, headers, new byte[0], "raw");
        }
        byte[] rest;
        String length = headers.get("content-length");
        if (length != null) {
            rest = in.readNBytes(Integer.parseInt(length));
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            rest = dechunk(in);
        } else {
            rest = in.readAllBytes();
        }
        return new Response(status, headers, rest, "raw");
    }

    private static byte[] dechunk(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            String hex = sizeLine.split(";")[0].trim();
            int size = hex.isEmpty() ? 0 : Integer.parseInt(hex, 16);
            if (size == 0) {
                return body.toByteArray();
            }
            body.writeBytes(in.readNBytes(size));
            readLine(in);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String printable(String s, int max) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && out.length() < max; i++) {
            char c = s.charAt(i);
            out.append(c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) ? String.format("\\x%02x", (int) c) : c);
        }
        return s.length() > max ? out + "…(" + s.length() + " chars)" : out.toString();
    }
}
