package dev.coderun.systemtests;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Generators of mostly bad requests for every route of the API, including routes that may not exist on every
 * branch (they must then answer a well-formed 404). Most requests carry a valid token for the tenant's handle so
 * they reach validation; each part of a request is valid most of the time and bad some of the time, so a request
 * usually has one or two things wrong with it.
 */
final class BadRequests {

    /** What the generators need to know about the live stack. */
    record Context(String handle, String token, String otherHandleToken, String expiredToken, String runtimeKey,
            String runId, String imageUri, String imageDigest) {}

    enum Shape { NONE, RUNTIME, RUN, BATCH, EXEC, REPORT }

    enum Route {
        PUT_RUNTIME("PUT", "/v2/handles/{h}/code-runtimes/{k}", Shape.RUNTIME),
        LIST_RUNTIMES("GET", "/v2/handles/{h}/code-runtimes", Shape.NONE, "limit", "cursor"),
        GET_RUNTIME("GET", "/v2/handles/{h}/code-runtimes/{k}", Shape.NONE),
        VALIDATE_IMAGE("POST", "/v2/handles/{h}/code-runtimes/{k}/validate-image", Shape.NONE),
        SUBMIT("POST", "/v2/handles/{h}/code-runs", Shape.RUN),
        BATCH("POST", "/v2/handles/{h}/code-runs/batch", Shape.BATCH),
        LIST_RUNS("GET", "/v2/handles/{h}/code-runs", Shape.NONE,
                "status", "runtime_key", "label", "created_after", "created_before", "limit", "cursor"),
        GET_RUN("GET", "/v2/handles/{h}/code-runs/{r}", Shape.NONE),
        OUTPUT("GET", "/v2/handles/{h}/code-runs/{r}/output", Shape.NONE),
        CANCEL("POST", "/v2/handles/{h}/code-runs/{r}/cancel", Shape.NONE),
        RUN_EVENTS("GET", "/v2/handles/{h}/code-runs/{r}/events", Shape.NONE),
        HANDLE_EVENTS("GET", "/v2/handles/{h}/code-runs/events", Shape.NONE),
        LIMITS("GET", "/v2/handles/{h}/limits", Shape.NONE),
        REPORT("POST", "/v2/support/report", Shape.REPORT),
        EXEC("POST", "/v1/runtimes/{k}/exec", Shape.EXEC),
        API_DOCS("GET", "/v3/api-docs", Shape.NONE),
        UNKNOWN("GET", "/v2/handles/{h}/{k}", Shape.NONE),
        UNVERSIONED("GET", "/{k}", Shape.NONE);

        final String method;
        final String template;
        final Shape shape;
        final List<String> params;

        Route(String method, String template, Shape shape, String... params) {
            this.method = method;
            this.template = template;
            this.shape = shape;
            this.params = List.of(params);
        }
    }

    /** A JSON fragment written verbatim, e.g. a number no Java type holds, or bytes that are not UTF-8. */
    record Raw(byte[] bytes) {
        static Raw of(String text) {
            return new Raw(text.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String toString() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    /** The oversize bodies: a few in every run, not thousands. */
    static final int OVERSIZE_BYTES = 3 * 1024 * 1024;

    private final Context ctx;

    BadRequests(Context ctx) {
        this.ctx = ctx;
    }

    Arbitrary<RawHttp.Request> requests() {
        return Arbitraries.of(Route.class).flatMap(this::request);
    }

    private Arbitrary<RawHttp.Request> request(Route route) {
        Arbitrary<String> method = Arbitraries.frequencyOf(
                Tuple.of(90, Arbitraries.just(route.method)),
                Tuple.of(10, Arbitraries.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "FOO", "get", "TRACE")));
        Arbitrary<String> path = pathOf(route);
        Arbitrary<String> query = route.params.isEmpty()
                ? Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.just("")), Tuple.of(1, query(List.of("limit"))))
                : query(route.params);
        Arbitrary<Optional<byte[]>> body = route.shape == Shape.NONE
                ? Arbitraries.frequencyOf(
                        Tuple.of(9, Arbitraries.just(Optional.<byte[]>empty())),
                        Tuple.of(1, body(junkObject()).map(Optional::of)))
                : Arbitraries.frequencyOf(
                        Tuple.of(95, body(shapeOf(route.shape)).map(Optional::of)),
                        Tuple.of(5, Arbitraries.just(Optional.<byte[]>empty())));
        Arbitrary<List<Map.Entry<String, String>>> headers = headers();
        Arbitrary<Boolean> rawOnly = Arbitraries.frequencyOf(
                Tuple.of(85, Arbitraries.just(false)), Tuple.of(15, Arbitraries.just(true)));
        return Combinators.combine(method, path, query, body, headers, rawOnly).as((m, p, q, b, h, raw) -> {
            List<Map.Entry<String, String>> all = new ArrayList<>(h);
            if (b.isPresent() && all.stream().noneMatch(e -> e.getKey().equalsIgnoreCase("content-type"))) {
                all.add(Map.entry("Content-Type", "application/json"));
            }
            return new RawHttp.Request(m, p + q, List.copyOf(all), b.orElse(null), raw);
        });
    }

    // ---------------------------------------------------------------- paths

    private Arbitrary<String> pathOf(Route route) {
        Arbitrary<String> handle = Arbitraries.frequencyOf(
                Tuple.of(85, Arbitraries.just(ctx.handle())),
                Tuple.of(5, Arbitraries.just("someone-else")),
                Tuple.of(10, badSegment()));
        Arbitrary<String> key = Arbitraries.frequencyOf(
                Tuple.of(45, Arbitraries.just(ctx.runtimeKey())),
                Tuple.of(25, Arbitraries.strings().withChars("abcxyz0123456789-._").ofMinLength(1).ofMaxLength(70)),
                Tuple.of(30, badSegment()));
        Arbitrary<String> runId = Arbitraries.frequencyOf(
                Tuple.of(40, Arbitraries.just(ctx.runId())),
                Tuple.of(20, Arbitraries.create(() -> java.util.UUID.randomUUID().toString())),
                Tuple.of(40, badSegment()));
        Arbitrary<String> shape = Arbitraries.frequencyOf(
                Tuple.of(90, Arbitraries.just("%s")),
                Tuple.of(10, Arbitraries.of("/%s/", "%s/", "/%s", "/.%s", "/v2/../%s", "%s/.", "%s/..", "//%s",
                        "%s;jsessionid=1", "/%%2e%%2e%s", "%s%%2F", "%s/%%2e%%2e/%%2e%%2e")));
        return Combinators.combine(handle, key, runId, shape).as((h, k, r, s) -> {
            String p = String.format(s, route.template.replace("{h}", h).replace("{k}", k).replace("{r}", r));
            return p.startsWith("/") ? p : "/" + p;
        });
    }

    /** A path segment that names nothing the API can hold, in every way a client can get one wrong. */
    static Arbitrary<String> badSegment() {
        return Arbitraries.frequencyOf(
                Tuple.of(60, Arbitraries.of("%00", "a%00b", "%00busybox", "..", ".", "%2e%2e", "%2E", "%2F", "a%2Fb", "%5C", "a\\b",
                        "%zz", "%", "a%2", "%C0%AF", "%ED%A0%80", "%FF%FE", "%C3%A9", "%F0%9F%98%80", "<script>",
                        "%u0000", "{}", "|", "a b", "-1", "0", "99999999999999999999999", "null", "undefined",
                        "%0A", "%0D%0A", "%09", "%20", "+", "~", "'", "\"", "%22", "%27%20or%201=1", "${x}", "*",
                        "\u00e9", "\u00ff\u00fe", "\u0001", "\t", "#frag", "?", "a?b=c", ";", ";a=b", "@", ":", "::")),
                Tuple.of(25, Arbitraries.strings().ascii().ofMinLength(1).ofMaxLength(30).map(s -> s.replace(" ", "%20")
                        .replace("?", "%3F").replace("#", "%23").replace("/", "%2F"))),
                Tuple.of(14, Arbitraries.integers().between(200, 3000).map("x"::repeat)),
                Tuple.of(1, Arbitraries.just("y".repeat(70_000))));
    }

    // ---------------------------------------------------------------- query strings

    private static Arbitrary<String> query(List<String> names) {
        Arbitrary<String> name = Arbitraries.frequencyOf(
                Tuple.of(80, Arbitraries.of(names)),
                Tuple.of(10, Arbitraries.of("unknown", "limit[]", "LIMIT", "a%00", "%zz", "", "%", "x".repeat(300))),
                Tuple.of(10, Arbitraries.strings().withChars("abc_=&%0").ofMaxLength(8)));
        Arbitrary<String> value = Arbitraries.frequencyOf(
                Tuple.of(70, Arbitraries.of("10", "1", "500", "0", "-1", "501", "2147483648", "-2147483649", "99999999999999999999",
                        "1e3", "1.5", "0x10", "abc", "", "%00", "a%00b", "%zz", "%", "%2", "%C0", "%C0%AF", "%ED%A0%80",
                        "%FF", "%25", "a%26b", "=", "==", "%3D", "QUEUED", "queued", "SUCCEEDED", "busybox",
                        "team:qa", "team=qa", "team", "2026-01-01T00:00:00Z", "2026-13-45T99:99:99Z", "yesterday",
                        "-999999999-01-01T00:00:00Z", "+999999999-12-31T23:59:59Z", "MjAyNnxub3Q", "not-a-cursor",
                        "AAAA", "%2F..%2F", "+", "%20", "\u00e9", "null", "true", "[]", "{}")),
                Tuple.of(15, Arbitraries.integers().between(-1000, 1000).map(String::valueOf)),
                Tuple.of(14, Arbitraries.integers().between(100, 3000).map("z"::repeat)),
                Tuple.of(1, Arbitraries.just("z".repeat(9000))));
        Arbitrary<String> param = Combinators.combine(name, value).as((n, v) -> n + "=" + v);
        return Arbitraries.frequencyOf(
                Tuple.of(30, Arbitraries.just("")),
                Tuple.of(60, param.list().ofMinSize(1).ofMaxSize(4).map(ps -> "?" + String.join("&", ps))),
                Tuple.of(10, Arbitraries.of("?", "?&&", "?=", "?a", "?=%", "?&=&", "?limit", "?limit=10&limit=20",
                        "?%", "?%%", "?%00=%00", "?limit=%zz", "?status=%", "?cursor=%C0%80")));
    }

    // ---------------------------------------------------------------- headers

    private Arbitrary<List<Map.Entry<String, String>>> headers() {
        Arbitrary<Optional<String>> authorization = Arbitraries.frequencyOf(
                Tuple.of(85, Arbitraries.just(Optional.of("Bearer " + ctx.token()))),
                Tuple.of(15, Arbitraries.of(
                        Optional.empty(), Optional.of("Bearer garbage"), Optional.of("Bearer "), Optional.of("Bearer"),
                        Optional.of("bearer " + ctx.token()), Optional.of("Basic Zm9vOmJhcg=="),
                        Optional.of("Bearer " + ctx.otherHandleToken()), Optional.of("Bearer " + ctx.expiredToken()),
                        Optional.of("Bearer " + ctx.token() + "x"), Optional.of("Bearer a.b.c"),
                        Optional.of("Bearer " + ctx.token().replaceFirst("^[^.]+", "eyJhbGciOiJub25lIn0")),
                        Optional.of("Bearer ..."), Optional.of("Bearer %00"), Optional.of("Bearer \u00ff\u00fe"),
                        Optional.of("Bearer \u0001"), Optional.of("Bearer " + "a".repeat(5000)))));
        Arbitrary<Optional<String>> contentType = Arbitraries.frequencyOf(
                Tuple.of(88, Arbitraries.just(Optional.<String>empty())),
                Tuple.of(12, Arbitraries.of("text/plain", "a/b;;c=", "application/json; charset=ISO-8859-1",
                        "application/x-www-form-urlencoded", "application/json; charset=utf-16",
                        "multipart/form-data; boundary=x", "???", "", "application/json; charset=nope",
                        "application/xml", "*/*", "application/*", "text/event-stream").map(Optional::of)));
        Arbitrary<Optional<String>> accept = Arbitraries.frequencyOf(
                Tuple.of(85, Arbitraries.just(Optional.<String>empty())),
                Tuple.of(15, Arbitraries.of("application/json", "text/html", "application/xml", ";;;",
                        "text/event-stream", "*/*;q=abc", "", "image/png", "application/json;q=0").map(Optional::of)));
        Arbitrary<Optional<String>> idempotencyKey = Arbitraries.frequencyOf(
                Tuple.of(80, Arbitraries.just(Optional.<String>empty())),
                Tuple.of(20, Arbitraries.oneOf(
                        Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(40),
                        Arbitraries.of("", " ", "%00", "\u00ff", "\u0001", "k".repeat(300), "k".repeat(7000),
                                "\u00e9t\u00e9", "a,b", "\"quoted\"")).map(Optional::of)));
        Arbitrary<Optional<String>> lastEventId = Arbitraries.frequencyOf(
                Tuple.of(90, Arbitraries.just(Optional.<String>empty())),
                Tuple.of(10, Arbitraries.of("-1", "0", "abc", "99999999999999999999999", "1:2:3", "", "%00",
                        "\u00ff", "e".repeat(2000), "01J0000000000000000000000").map(Optional::of)));
        Arbitrary<List<Map.Entry<String, String>>> junk = Arbitraries.frequencyOf(
                Tuple.of(92, Arbitraries.just(List.of())),
                Tuple.of(8, Arbitraries.of(
                        List.of(Map.entry("X-Request-Id", "<bad id with spaces>")),
                        List.of(Map.entry("X-Request-Id", "r".repeat(500))),
                        List.of(Map.entry("X-Request-Id", "fuzz-request-1")),
                        List.of(Map.entry("X-Junk", "\u0001\u0002")),
                        List.of(Map.entry("X-Junk", "a\u0000b")),
                        List.of(Map.entry("Bad Header", "x")),
                        List.of(Map.entry("X-Huge", "h".repeat(20_000))),
                        List.of(Map.entry("Host", "a b")),
                        List.of(Map.entry("Host", "[::1")),
                        List.of(Map.entry("Host", "")),
                        List.of(Map.entry("Host", "exa%mple:99999")),
                        List.of(Map.entry("Host", "example.com"), Map.entry("Host", "other.example")),
                        List.of(Map.entry("Transfer-Encoding", "chunked, identity")),
                        List.of(Map.entry("Expect", "100-continue")),
                        List.of(Map.entry("Expect", "nonsense")),
                        List.of(Map.entry("Content-Encoding", "gzip")),
                        List.of(Map.entry("If-Match", "\"nope\"")),
                        List.of(Map.entry("If-Match", "*")),
                        List.of(Map.entry("Forwarded", "host=\"a b\";proto=gopher")),
                        List.of(Map.entry("X-Forwarded-Host", "%zz")),
                        List.of(Map.entry("X-Forwarded-Prefix", "/../%00")),
                        manyHeaders())));
        return Combinators.combine(authorization, contentType, accept, idempotencyKey, lastEventId, junk)
                .as((auth, type, acc, idem, last, extra) -> {
                    List<Map.Entry<String, String>> all = new ArrayList<>();
                    auth.ifPresent(v -> all.add(Map.entry("Authorization", v)));
                    type.ifPresent(v -> all.add(Map.entry("Content-Type", v)));
                    acc.ifPresent(v -> all.add(Map.entry("Accept", v)));
                    idem.ifPresent(v -> all.add(Map.entry("Idempotency-Key", v)));
                    last.ifPresent(v -> all.add(Map.entry("Last-Event-ID", v)));
                    all.addAll(extra);
                    return all;
                });
    }

    private static List<Map.Entry<String, String>> manyHeaders() {
        List<Map.Entry<String, String>> many = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            many.add(Map.entry("X-Many-" + i, "v" + i));
        }
        return many;
    }

    // ---------------------------------------------------------------- bodies

    /** The body bytes: the object written as JSON mostly, else broken in one of the ways JSON can break. */
    private static Arbitrary<byte[]> body(Arbitrary<Object> value) {
        Arbitrary<byte[]> json = value.map(BadRequests::write);
        return Arbitraries.frequencyOf(
                Tuple.of(1780, json),
                Tuple.of(40, json.map(b -> java.util.Arrays.copyOf(b, Math.max(0, b.length / 2)))),
                Tuple.of(30, Arbitraries.of("", " ", "null", "[]", "\"text\"", "42", "{", "}", "{\"a\":}", "{,}",
                        "{'a': 1}", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "NaN", "{\"a\":NaN}", "{\"a\":01}",
                        "{\"a\":\"\\x00\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"unterminated}", "runtime_key=busybox",
                        "<run/>", "\u0000", "{\"a\":1}{\"b\":2}", "{\"a\":1} trailing", "/* c */ {}",
                        "{\"runtime_key\":\"busybox\",\"runtime_key\":\"python\",\"command\":\"true\"}")
                        .map(s -> s.getBytes(StandardCharsets.UTF_8))),
                Tuple.of(40, Arbitraries.of(
                        new byte[] {(byte) 0xC3, 0x28}, new byte[] {(byte) 0xFF, (byte) 0xFE},
                        new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, new byte[] {(byte) 0xC0, (byte) 0x80},
                        new byte[] {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
                        new byte[] {(byte) 0xE2, (byte) 0x82})
                        .flatMap(bad -> value.map(v -> write(injectBytes(v, bad))))),
                Tuple.of(40, Arbitraries.integers().between(100, 20_000).flatMap(depth -> Arbitraries.of(
                        ("[".repeat(depth) + "]".repeat(depth)),
                        ("{\"a\":".repeat(depth) + "1" + "}".repeat(depth)),
                        ("{\"runtime_key\":" + "[".repeat(depth) + "]".repeat(depth) + "}"),
                        ("[".repeat(depth)))
                        .map(s -> s.getBytes(StandardCharsets.UTF_8)))),
                Tuple.of(1, Arbitraries.just(oversize())));
    }

    private static byte[] oversize() {
        return ("{\"runtime_key\":\"busybox\",\"command\":\"true\",\"stdin\":\"" + "s".repeat(OVERSIZE_BYTES) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The value with one of its strings (or the value itself) carrying bytes that are not UTF-8. */
    @SuppressWarnings("unchecked")
    private static Object injectBytes(Object value, byte[] bad) {
        if (value instanceof Map<?, ?> map && !map.isEmpty()) {
            Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) map);
            String first = copy.keySet().iterator().next();
            ByteArrayOutputStream s = new ByteArrayOutputStream();
            s.write('"');
            s.writeBytes("x".getBytes(StandardCharsets.UTF_8));
            s.writeBytes(bad);
            s.write('"');
            copy.put(first, new Raw(s.toByteArray()));
            return copy;
        }
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.write('"');
        s.writeBytes(bad);
        s.write('"');
        return new Raw(s.toByteArray());
    }

    private Arbitrary<Object> shapeOf(Shape shape) {
        return switch (shape) {
            case NONE -> junkObject();
            case RUNTIME -> runtimeBody();
            case RUN -> runBody();
            case BATCH -> runBody().list().ofMaxSize(5).flatMap(runs -> Arbitraries.of(
                    (Object) Map.of("runs", runs), runs, Map.of("runs", Map.of()), Map.of("items", runs),
                    Map.of("runs", List.of(runs)), Map.of()));
            case EXEC -> execBody();
            case REPORT -> reportBody();
        };
    }

    /** A run body: each field absent, valid or junk. */
    private Arbitrary<Object> runBody() {
        Map<String, Arbitrary<?>> fields = new LinkedHashMap<>();
        fields.put("runtime_key", field(90, Arbitraries.of(ctx.runtimeKey(), "python", "nope", "Busybox",
                "busybox\u0000", "\u0000", "busy\ud800box", "\udc00")));
        fields.put("name", field(20, Arbitraries.of("fuzz-run-0001", "short", "has space in it", "n".repeat(300),
                "name\u0000name")));
        fields.put("command", field(90, Arbitraries.of("true", "exit 0", "c\u0000md", "\ud83d", "x".repeat(70_000))));
        fields.put("args", field(15, Arbitraries.oneOf(
                Arbitraries.of(List.of(), List.of("-c", "true"), List.of("a\u0000"), List.of("\udfff")),
                junkString().list().ofMaxSize(4).map(l -> (Object) l))));
        fields.put("env", field(20, envLike()));
        fields.put("stdin", field(15, Arbitraries.of("input", "nul\u0000inside", "\ud800", "")));
        fields.put("cwd", field(15, Arbitraries.of("/tmp", "relative", "/a/../b", "/tmp/\u0000", "/", "//x",
                "/" + "d".repeat(5000))));
        fields.put("timeout_seconds", field(20, Arbitraries.of(1, 5, 3600)));
        fields.put("max_output_bytes", field(15, Arbitraries.of(0, 1024, 16_777_216)));
        fields.put("max_attempts", field(15, Arbitraries.of(1, 5)));
        fields.put("labels", field(20, labelsLike()));
        return objectOf(fields);
    }

    private Arbitrary<Object> runtimeBody() {
        Map<String, Arbitrary<?>> fields = new LinkedHashMap<>();
        fields.put("display_name", field(20, Arbitraries.of("Fuzz", "d\u0000n", "\ud800", "d".repeat(300))));
        fields.put("description", field(15, Arbitraries.of("text", "de\u0000sc", "\udbff", "d".repeat(5000))));
        Map<String, Arbitrary<?>> image = new LinkedHashMap<>();
        image.put("uri", field(95, Arbitraries.of(ctx.imageUri(), "UPPER/case", "registry.example.com/x:tag",
                "x@sha256:abc", "i\u0000")));
        image.put("digest", field(95, Arbitraries.of(ctx.imageDigest(), "sha256:abc", "md5:00", "sha256:" +
                "A".repeat(64), "\u0000")));
        fields.put("image", field(90, objectOf(image)));
        Map<String, Arbitrary<?>> resources = new LinkedHashMap<>();
        resources.put("cpu_cores", field(50, Arbitraries.of(0.5, 1, 64, 0)));
        resources.put("memory_mb", field(50, Arbitraries.of(16, 512, 65_536)));
        resources.put("pids_limit", field(50, Arbitraries.of(1, 256)));
        fields.put("resources", field(30, objectOf(resources)));
        Map<String, Arbitrary<?>> sandbox = new LinkedHashMap<>();
        sandbox.put("timeout_seconds", field(50, Arbitraries.of(1, 20, 300)));
        sandbox.put("max_timeout_seconds", field(30, Arbitraries.of(1, 3600)));
        sandbox.put("network", field(30, Arbitraries.of("none", "bridge", "host", "n\u0000")));
        sandbox.put("read_only_rootfs", field(20, Arbitraries.of(true, false)));
        sandbox.put("workspace_mount", field(10, Arbitraries.of(true, false)));
        fields.put("sandbox", field(40, objectOf(sandbox)));
        fields.put("env", field(20, envLike()));
        fields.put("labels", field(20, labelsLike()));
        fields.put("max_active_runs", field(15, Arbitraries.of(1, 10)));
        fields.put("enabled", field(15, Arbitraries.of(true, false)));
        return objectOf(fields);
    }

    /** Exec bodies never name a valid command, so the route never waits for a container under fuzzing. */
    private Arbitrary<Object> execBody() {
        Map<String, Arbitrary<?>> fields = new LinkedHashMap<>();
        fields.put("command", Arbitraries.oneOf(
                Arbitraries.just(Optional.empty()),
                Arbitraries.of(42, List.of(), Map.of(), true, "", "\u0000", "\ud800").map(Optional::of)));
        fields.put("args", field(20, Arbitraries.of(List.of(), List.of("a\u0000"))));
        fields.put("cwd", field(15, Arbitraries.of("/tmp", "relative", "/tmp/\u0000")));
        fields.put("env", field(15, envLike()));
        fields.put("stdin", field(15, Arbitraries.of("in", "\u0000", "\udc00")));
        fields.put("timeout_secs", field(20, Arbitraries.of(1, 0, -5)));
        fields.put("max_output_bytes", field(15, Arbitraries.of(1, -1)));
        return objectOf(fields);
    }

    private Arbitrary<Object> reportBody() {
        Map<String, Arbitrary<?>> fields = new LinkedHashMap<>();
        fields.put("summary", field(80, Arbitraries.of("it broke", "s\u0000", "\ud800", "s".repeat(10_000))));
        fields.put("details", field(60, Arbitraries.of("details", "d\u0000")));
        fields.put("handle", field(30, Arbitraries.of(ctx.handle(), "h\u0000")));
        fields.put("session_id", field(20, Arbitraries.of("s1", "\u0000")));
        fields.put("request_id", field(20, Arbitraries.of("req_1", "\udfff")));
        fields.put("repro_artifact", field(10, Arbitraries.of("curl ...", "\u0000")));
        return objectOf(fields);
    }

    private static Arbitrary<Object> envLike() {
        return Arbitraries.of(
                Map.of("GREETING", "hello"), Map.of("bad name", "x"), Map.of("A", "\u0000"), Map.of("A\u0000", "x"),
                Map.of("A", "\ud800"), Map.of("", "x"), Map.of("A", "v".repeat(40_000)), Map.of());
    }

    private static Arbitrary<Object> labelsLike() {
        return Arbitraries.of(
                Map.of("team", "qa"), Map.of("team", "q\u0000a"), Map.of("te\u0000am", "qa"), Map.of("team", "\udc00"),
                Map.of("-bad", "x"), Map.of("team", "v".repeat(300)), Map.of());
    }

    /** A field: absent (1 - present%), its own kind of value, or junk of any type. */
    private static Arbitrary<Optional<Object>> field(int presentPercent, Arbitrary<?> valid) {
        return Arbitraries.frequencyOf(
                Tuple.of(100 - presentPercent, Arbitraries.just(Optional.empty())),
                Tuple.of(presentPercent * 3 / 4, valid.map(Optional::of)),
                Tuple.of(Math.max(1, presentPercent / 4), junkValue().map(Optional::of)));
    }

    /** An object from per-field arbitraries, sometimes with an unknown field. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Arbitrary<Object> objectOf(Map<String, ? extends Arbitrary<?>> fields) {
        List<String> names = new ArrayList<>(fields.keySet());
        List<Arbitrary<Optional<Object>>> values = new ArrayList<>();
        fields.values().forEach(a -> values.add((Arbitrary<Optional<Object>>) (Arbitrary) a));
        Arbitrary<Optional<Object>> unknown = field(8, junkValue());
        Arbitrary<Object> object = Combinators.combine(values).as(list -> {
            Map<String, Object> map = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                list.get(i).ifPresent(v -> map.put(name, v));
            }
            return map;
        }).map(m -> m);
        return Combinators.combine(object, unknown, Arbitraries.of("unknown_field", "RUNTIME_KEY", "runtimeKey",
                "\u0000", "", "a.b", "x".repeat(500))).as((o, u, n) -> {
                    if (u.isEmpty()) {
                        return o;
                    }
                    Map<String, Object> withUnknown = new LinkedHashMap<>((Map<String, Object>) o);
                    withUnknown.put(n, u.get());
                    return withUnknown;
                });
    }

    private static Arbitrary<Object> junkObject() {
        return Arbitraries.lazy(() -> Arbitraries.maps(
                Arbitraries.strings().ofMaxLength(10), junkValue()).ofMaxSize(4).map(m -> (Object) m));
    }

    static Arbitrary<Object> junkValue() {
        return Arbitraries.frequencyOf(
                Tuple.of(30, junkString().map(s -> (Object) s)),
                Tuple.of(30, junkNumber()),
                Tuple.of(10, Arbitraries.of(true, false).map(b -> (Object) b)),
                Tuple.of(10, Arbitraries.just((Object) NULL)),
                Tuple.of(10, Arbitraries.lazy(BadRequests::junkValue).list().ofMaxSize(3).map(l -> (Object) l)),
                Tuple.of(10, Arbitraries.lazy(BadRequests::junkObject)));
    }

    /** A JSON null (a Java null cannot be a generated value). */
    static final Raw NULL = Raw.of("null");

    static Arbitrary<String> junkString() {
        return Arbitraries.oneOf(
                Arbitraries.of("", " ", "\u0000", "a\u0000b", "\ud800", "\udc00x", "x\ud800\ud800", "\ud83d\ude00",
                        "../../etc/passwd", "${jndi:ldap://x}", "' or 1=1 --", "\n\r\t", "\u202e", "\uffff", "\ufeff",
                        "%00", "%zz", "\\", "\"", "</script>", "\u0085", "\u2028"),
                Arbitraries.strings().ofMaxLength(20),
                Arbitraries.strings().all().ofMaxLength(12),
                Arbitraries.integers().between(1000, 100_000).map("w"::repeat));
    }

    static Arbitrary<Object> junkNumber() {
        return Arbitraries.oneOf(
                Arbitraries.of("-1", "0", "-0", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
                        "9223372036854775808", "-9223372036854775809", "1e400", "-1e400", "1.5", "1e2", "1E-400",
                        "99999999999999999999999999999999999999", "0.0000000000000000000000000001",
                        "1" + "0".repeat(2000), "1e9999999999")
                        .map(s -> (Object) Raw.of(s)),
                Arbitraries.integers().map(i -> (Object) i),
                Arbitraries.longs().map(l -> (Object) l),
                Arbitraries.doubles().map(d -> (Object) d));
    }

    // ---------------------------------------------------------------- JSON writing

    /**
     * Writes the value as JSON with every control character and every surrogate (paired or not) escaped as
     * {@code \\uXXXX}, so NUL bytes and lone surrogates reach the server as JSON escapes; {@link Raw} goes verbatim.
     */
    static byte[] write(Object value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(value, out);
        return out.toByteArray();
    }

    private static void write(Object value, ByteArrayOutputStream out) {
        switch (value) {
            case null -> out.writeBytes("null".getBytes(StandardCharsets.UTF_8));
            case Raw raw -> out.writeBytes(raw.bytes());
            case String s -> writeString(s, out);
            case Double d when d.isNaN() || d.isInfinite() -> out.writeBytes("1e400".getBytes(StandardCharsets.UTF_8));
            case Number n -> out.writeBytes(n.toString().getBytes(StandardCharsets.UTF_8));
            case Boolean b -> out.writeBytes(b.toString().getBytes(StandardCharsets.UTF_8));
            case Optional<?> o -> write(o.orElse(null), out);
            case Map<?, ?> map -> {
                out.write('{');
                boolean first = true;
                for (var entry : map.entrySet()) {
                    if (!first) {
                        out.write(',');
                    }
                    first = false;
                    writeString(String.valueOf(entry.getKey()), out);
                    out.write(':');
                    write(entry.getValue(), out);
                }
                out.write('}');
            }
            case List<?> list -> {
                out.write('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        out.write(',');
                    }
                    write(list.get(i), out);
                }
                out.write(']');
            }
            default -> writeString(value.toString(), out);
        }
    }

    private static void writeString(String s, ByteArrayOutputStream out) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20 || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        out.writeBytes(b.append('"').toString().getBytes(StandardCharsets.UTF_8));
    }
}
