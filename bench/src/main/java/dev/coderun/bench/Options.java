package dev.coderun.bench;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} options; bin/coderun bench fills in the stack's URLs, token, image and pids. */
record Options(
        String gateway,
        String token,
        String handle,
        String acceptHandle,
        String image,
        String digest,
        String kafka,
        String jdbc,
        String dbUser,
        String dbPassword,
        String user,
        int warmup,
        int runs,
        int concurrency,
        int sequential,
        int acceptRequests,
        int acceptClients,
        int batches,
        int batchClients,
        Path out,
        Map<String, Long> pids,
        String label) {

    /** What {@code bin/coderun bench --help} prints: the options a user sets (bin/coderun fills in the rest). */
    static final String USAGE = """
            usage: bin/coderun bench [--name value]...
              --warmup N            untimed runs first, reported in a row of their own (default 200)
              --runs N              runs of the concurrent phase, coderun then docker run --rm (default 100)
              --concurrency N       clients of the warm-up and concurrent phases (default 4)
              --sequential N        sequential `echo hi` runs, coderun then docker run --rm; 0 skips (default 15)
              --accept-requests N   single submissions of each accept phase; 0 skips every accept phase (default 3200)
              --accept-clients N    clients submitting them (default 32)
              --batches N           batches of 1000 of each accept phase (default 10)
              --batch-clients N     clients sending them, each one batch at a time (default 1)
              --handle NAME         the handle the runs go to (default bench)
              --accept-handle NAME  the handle the accept phases submit to (default bench-accept)
              --out FILE            where the JSON goes (default bench-results/latest.json)
            """;

    private static final Set<String> NAMES = Set.of("gateway", "token", "handle", "accept-handle", "image", "digest",
            "kafka", "jdbc", "db-user", "db-password", "user", "warmup", "runs", "concurrency", "sequential",
            "accept-requests", "accept-clients", "batches", "batch-clients", "out", "pid", "label");

    /** Whether the arguments ask for the usage rather than a bench. */
    static boolean wantsHelp(String[] args) {
        return Arrays.stream(args).anyMatch(arg -> arg.equals("--help") || arg.equals("-h"));
    }

    static Options parse(String[] args) {
        Map<String, String> values = new HashMap<>();
        Map<String, Long> pids = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || !NAMES.contains(args[i].substring(2))) {
                throw new IllegalArgumentException("unknown option " + args[i]);
            }
            if (i + 1 == args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            String name = args[i].substring(2);
            if (name.equals("pid")) {
                String[] pair = args[i + 1].split("=", 2);
                pids.put(pair[0], Long.parseLong(pair[1]));
            } else {
                values.put(name, args[i + 1]);
            }
        }
        return new Options(
                required(values, "gateway"),
                required(values, "token"),
                values.getOrDefault("handle", "bench"),
                values.getOrDefault("accept-handle", "bench-accept"),
                required(values, "image"),
                required(values, "digest"),
                values.getOrDefault("kafka", "127.0.0.1:9092"),
                values.getOrDefault("jdbc", "jdbc:postgresql://127.0.0.1:5432/coderun"),
                values.getOrDefault("db-user", "coderun"),
                values.getOrDefault("db-password", "coderun"),
                values.getOrDefault("user", "65534:65534"),
                count(values, "warmup", 200, 0),
                count(values, "runs", 100, 1),
                count(values, "concurrency", 4, 1),
                count(values, "sequential", 15, 0),
                count(values, "accept-requests", 3200, 0),
                count(values, "accept-clients", 32, 1),
                count(values, "batches", 10, 0),
                count(values, "batch-clients", 1, 1),
                Path.of(values.getOrDefault("out", "bench-results/latest.json")),
                pids,
                values.getOrDefault("label", ""));
    }

    private static int count(Map<String, String> values, String name, int otherwise, int least) {
        String value = values.get(name);
        if (value == null) {
            return otherwise;
        }
        try {
            int count = Integer.parseInt(value);
            if (count >= least) {
                return count;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(
                "--" + name + " wants a whole number of " + least + " or more, got " + value);
    }

    private static String required(Map<String, String> values, String name) {
        String value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }
}
