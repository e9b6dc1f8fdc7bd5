package dev.coderun.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

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
        Path out,
        Map<String, Long> pids,
        String label) {

    static Options parse(String[] args) {
        Map<String, String> values = new HashMap<>();
        Map<String, Long> pids = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name value, got " + args[i]);
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
                Integer.parseInt(values.getOrDefault("warmup", "200")),
                Integer.parseInt(values.getOrDefault("runs", "100")),
                Integer.parseInt(values.getOrDefault("concurrency", "4")),
                Integer.parseInt(values.getOrDefault("sequential", "15")),
                Integer.parseInt(values.getOrDefault("accept-requests", "3200")),
                Integer.parseInt(values.getOrDefault("accept-clients", "32")),
                Integer.parseInt(values.getOrDefault("batches", "10")),
                Path.of(values.getOrDefault("out", "bench-results/latest.json")),
                pids,
                values.getOrDefault("label", ""));
    }

    private static String required(Map<String, String> values, String name) {
        String value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return value;
    }
}
