package dev.coderun.gateway.runtimes;

import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.limits.RequestLimits;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Checks a runtime request and applies defaults. Pure: the same request always gives the same answer. */
public final class RuntimeValidator {

    public static final Pattern KEY = Pattern.compile("^[a-z0-9][a-z0-9._-]{0,62}$");
    static final Pattern DIGEST = Pattern.compile("^sha256:[a-f0-9]{64}$");
    static final Pattern IMAGE_URI = Pattern.compile("^[a-z0-9]([a-z0-9._:/-]*[a-z0-9])?(:[A-Za-z0-9_.-]{1,128})?$");
    static final Pattern ENV_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]{0,255}$");
    static final Pattern LABEL_KEY = Pattern.compile("^[A-Za-z0-9]([A-Za-z0-9._/-]{0,62})$");

    static final double DEFAULT_CPU_CORES = 1.0;
    static final int DEFAULT_MEMORY_MB = 512;
    static final int DEFAULT_PIDS_LIMIT = 256;
    static final int DEFAULT_TIMEOUT_SECONDS = 300;

    private final RequestLimits limits;

    public RuntimeValidator(RequestLimits limits) {
        this.limits = limits;
    }

    /** Either a definition or the list of everything wrong with the request. */
    public sealed interface Result {
        record Valid(RuntimeDefinition definition) implements Result {}

        record Invalid(List<FieldViolation> violations) implements Result {}
    }

    public Result validate(String key, RuntimeRequest request) {
        List<FieldViolation> errors = new ArrayList<>();
        if (!KEY.matcher(key).matches()) {
            errors.add(FieldViolation.invalid("runtime_key", "must match " + KEY.pattern()));
        }
        String uri = null;
        String digest = null;
        if (request.image() == null) {
            errors.add(FieldViolation.required("image"));
        } else {
            uri = request.image().uri();
            digest = request.image().digest();
            if (uri == null || uri.isBlank()) {
                errors.add(FieldViolation.required("image.uri"));
            } else if (uri.length() > limits.maxImageUriChars() || !IMAGE_URI.matcher(uri).matches()) {
                errors.add(FieldViolation.invalid("image.uri", "must be an image reference without a digest, "
                        + "e.g. registry.example.com/team/image:tag"));
            }
            if (digest == null || digest.isBlank()) {
                errors.add(FieldViolation.required("image.digest"));
            } else if (!DIGEST.matcher(digest).matches()) {
                errors.add(FieldViolation.invalid("image.digest", "must be sha256:<64 lowercase hex>"));
            }
        }
        RuntimeRequest.Resources resources = request.resources() == null
                ? new RuntimeRequest.Resources(null, null, null) : request.resources();
        double cpu = orDefault(resources.cpuCores(), DEFAULT_CPU_CORES);
        if (!(cpu > 0 && cpu <= limits.maxCpuCores())) {
            errors.add(FieldViolation.outOfRange("resources.cpu_cores", "must be > 0 and <= "
                    + java.math.BigDecimal.valueOf(limits.maxCpuCores()).stripTrailingZeros().toPlainString()));
        }
        int memory = orDefault(resources.memoryMb(), DEFAULT_MEMORY_MB);
        if (memory < limits.minMemoryMb() || memory > limits.maxMemoryMb()) {
            errors.add(FieldViolation.outOfRange("resources.memory_mb",
                    "must be between " + limits.minMemoryMb() + " and " + limits.maxMemoryMb()));
        }
        int pids = orDefault(resources.pidsLimit(), DEFAULT_PIDS_LIMIT);
        if (pids < 1 || pids > limits.maxPidsLimit()) {
            errors.add(FieldViolation.outOfRange("resources.pids_limit", "must be between 1 and " + limits.maxPidsLimit()));
        }
        RuntimeRequest.Sandbox sandbox = request.sandbox() == null
                ? new RuntimeRequest.Sandbox(null, null, null, null, null) : request.sandbox();
        int platformMax = limits.maxTimeoutSeconds();
        int maxTimeout = orDefault(sandbox.maxTimeoutSeconds(), platformMax);
        if (maxTimeout < 1 || maxTimeout > platformMax) {
            errors.add(FieldViolation.outOfRange(
                    "sandbox.max_timeout_seconds", "must be between 1 and " + platformMax));
        }
        int timeout = orDefault(sandbox.timeoutSeconds(), Math.min(DEFAULT_TIMEOUT_SECONDS, maxTimeout));
        if (timeout < 1 || timeout > maxTimeout) {
            errors.add(FieldViolation.outOfRange(
                    "sandbox.timeout_seconds", "must be between 1 and max_timeout_seconds (" + maxTimeout + ")"));
        }
        String network = sandbox.network() == null ? "none" : sandbox.network();
        if (!network.equals("none") && !network.equals("bridge")) {
            errors.add(FieldViolation.invalid("sandbox.network", "must be none or bridge"));
        }
        if (Boolean.TRUE.equals(sandbox.workspaceMount())) {
            errors.add(new FieldViolation(
                    "sandbox.workspace_mount", "workspace mounts are not supported yet", "not_supported"));
        }
        Map<String, String> env = request.env() == null ? Map.of() : request.env();
        checkEnv("env", env, limits, errors);
        Map<String, String> secrets = request.secrets() == null ? Map.of() : request.secrets();
        checkSecrets("secrets", secrets, env, limits, errors);
        Map<String, String> labels = request.labels() == null ? Map.of() : request.labels();
        checkLabels("labels", labels, limits, errors);
        if (request.maxActiveRuns() != null && request.maxActiveRuns() < 1) {
            errors.add(FieldViolation.outOfRange("max_active_runs", "must be at least 1"));
        }
        checkLength("display_name", request.displayName(), limits.maxDisplayNameChars(), errors);
        checkLength("description", request.description(), limits.maxDescriptionChars(), errors);
        if (!errors.isEmpty()) {
            return new Result.Invalid(errors);
        }
        return new Result.Valid(new RuntimeDefinition(
                request.displayName(), request.description(), uri, digest, cpu, memory, pids, timeout, maxTimeout,
                network, sandbox.readOnlyRootfs() == null || sandbox.readOnlyRootfs(), env, labels,
                request.maxActiveRuns(), request.enabled() == null || request.enabled(),
                List.copyOf(secrets.keySet()), null));
    }

    /** Whether {@code key} is a well-formed label key; run listings filter on such keys. */
    public static boolean isLabelKey(String key) {
        return LABEL_KEY.matcher(key).matches();
    }

    /** Shared with run validation: names, counts and sizes of environment variables. */
    public static void checkEnv(String field, Map<String, String> env, RequestLimits limits, List<FieldViolation> errors) {
        if (env.size() > limits.maxEnvEntries()) {
            errors.add(FieldViolation.tooLong(field, "at most " + limits.maxEnvEntries() + " entries"));
            return;
        }
        if (entryBytes(env) > limits.maxEnvTotalBytes()) {
            errors.add(FieldViolation.tooLong(field, "at most " + limits.maxEnvTotalBytes() + " bytes of names and values"));
            return;
        }
        env.forEach((name, value) -> {
            if (!ENV_NAME.matcher(name).matches()) {
                errors.add(FieldViolation.invalid(field + "." + name, "must match " + ENV_NAME.pattern()));
            } else if (value == null) {
                errors.add(FieldViolation.required(field + "." + name));
            } else if (value.getBytes(StandardCharsets.UTF_8).length > limits.maxEnvValueBytes()) {
                errors.add(FieldViolation.tooLong(
                        field + "." + name, "at most " + limits.maxEnvValueBytes() + " bytes"));
            }
        });
    }

    /**
     * Shared with run validation: secret env entries follow the env rules ({@link #checkEnv}), at most
     * {@link RequestLimits#maxSecretEntries()} of them, and count toward the env limits together with {@code env}
     * (they all become the container's environment). A name in both is refused: a name is plain or secret, never
     * both. No message names a value.
     */
    public static void checkSecrets(
            String field,
            Map<String, String> secrets,
            Map<String, String> env,
            RequestLimits limits,
            List<FieldViolation> errors) {
        if (secrets.isEmpty()) {
            return;
        }
        if (secrets.size() > limits.maxSecretEntries()) {
            errors.add(FieldViolation.tooLong(field, "at most " + limits.maxSecretEntries() + " entries"));
            return;
        }
        checkEnv(field, secrets, limits, errors);
        if (secrets.size() + env.size() > limits.maxEnvEntries()) {
            errors.add(FieldViolation.tooLong(field, "env and " + field + " together: at most "
                    + limits.maxEnvEntries() + " entries"));
        } else if (entryBytes(secrets) + entryBytes(env) > limits.maxEnvTotalBytes()) {
            errors.add(FieldViolation.tooLong(field, "env and " + field + " together: at most "
                    + limits.maxEnvTotalBytes() + " bytes of names and values"));
        }
        secrets.keySet().stream().filter(env::containsKey).sorted().forEach(name -> errors.add(FieldViolation.invalid(
                field + "." + name, "is also set in env: a name is either env or " + field + ", not both")));
    }

    private static long entryBytes(Map<String, String> entries) {
        long total = 0;
        for (var entry : entries.entrySet()) {
            total += entry.getKey().getBytes(StandardCharsets.UTF_8).length
                    + (entry.getValue() == null ? 0 : entry.getValue().getBytes(StandardCharsets.UTF_8).length);
        }
        return total;
    }

    /** Shared with run validation: label keys, values and counts. */
    public static void checkLabels(
            String field, Map<String, String> labels, RequestLimits limits, List<FieldViolation> errors) {
        if (labels.size() > limits.maxLabels()) {
            errors.add(FieldViolation.tooLong(field, "at most " + limits.maxLabels() + " labels"));
            return;
        }
        labels.forEach((name, value) -> {
            if (!LABEL_KEY.matcher(name).matches()) {
                errors.add(FieldViolation.invalid(field + "." + name, "must match " + LABEL_KEY.pattern()));
            } else if (value == null || value.length() > limits.maxLabelValueChars()) {
                errors.add(FieldViolation.invalid(field + "." + name,
                        "must be a string of at most " + limits.maxLabelValueChars() + " characters"));
            }
        });
    }

    private static void checkLength(String field, String value, int max, List<FieldViolation> errors) {
        if (value != null && value.length() > max) {
            errors.add(FieldViolation.tooLong(field, "at most " + max + " characters"));
        }
    }

    private static <T> T orDefault(T value, T fallback) {
        return value == null ? fallback : value;
    }
}
