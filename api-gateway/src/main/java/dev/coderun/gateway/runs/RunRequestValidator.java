package dev.coderun.gateway.runs;

import dev.coderun.gateway.limits.RequestLimits;
import dev.coderun.events.RunSpec;
import dev.coderun.events.RuntimeSnapshot;
import dev.coderun.events.SecretKeyRing;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.runtimes.RuntimeValidator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Turns a submission into a {@link RunSpec} against the runtime it names, or lists what is wrong. Pure, but for the
 * random nonce of sealing secrets. Defaults: the runtime's timeout, 1 MiB of output per stream, one attempt.
 *
 * <p>Secrets: the spec carries the run's {@code secret_env} names, and one sealed value holding every secret env entry
 * the container gets: the runtime's {@code secrets}, then the run's {@code secret_env} over them. Layers apply in the
 * order runtime env, runtime secrets, run env, run secret_env, the later winning, so a runtime secret the run's
 * {@code env} sets is left out. Within one body a name is either env or secret (422 otherwise).
 */
public final class RunRequestValidator {

    static final Pattern NAME = Pattern.compile("^[A-Za-z0-9_.-]{8,255}$");

    private final RequestLimits limits;

    public RunRequestValidator(RequestLimits limits) {
        this.limits = limits;
    }

    /** The fields that need no runtime; checked first so a bad body is reported whole. */
    public List<FieldViolation> checkShape(SubmitRunRequest request) {
        List<FieldViolation> errors = new ArrayList<>();
        if (request.runtimeKey() == null || request.runtimeKey().isBlank()) {
            errors.add(FieldViolation.required("runtime_key"));
        }
        if (request.name() != null && !NAME.matcher(request.name()).matches()) {
            errors.add(FieldViolation.invalid("name", "must be 8-255 characters of [A-Za-z0-9_.-]"));
        }
        if (request.command() == null || request.command().isBlank()) {
            errors.add(FieldViolation.required("command"));
        } else if (utf8Length(request.command()) > limits.maxCommandBytes()) {
            errors.add(FieldViolation.tooLong("command", "at most " + limits.maxCommandBytes() + " bytes"));
        } else if (request.command().indexOf('\0') >= 0) {
            errors.add(FieldViolation.invalid("command", "must not contain NUL"));
        }
        List<String> args = request.args() == null ? List.of() : request.args();
        if (args.size() > limits.maxArgs()) {
            errors.add(FieldViolation.tooLong("args", "at most " + limits.maxArgs() + " arguments"));
        } else {
            for (int i = 0; i < args.size(); i++) {
                if (args.get(i) == null) {
                    errors.add(FieldViolation.invalid("args[" + i + "]", "must be a string"));
                } else if (args.get(i).indexOf('\0') >= 0) {
                    errors.add(FieldViolation.invalid("args[" + i + "]", "must not contain NUL"));
                }
            }
        }
        Map<String, String> env = request.env() == null ? Map.of() : request.env();
        RuntimeValidator.checkEnv("env", env, limits, errors);
        RuntimeValidator.checkSecrets(
                "secret_env", request.secretEnv() == null ? Map.of() : request.secretEnv(), env, limits, errors);
        if (request.stdin() != null && utf8Length(request.stdin()) > limits.maxStdinBytes()) {
            errors.add(FieldViolation.tooLong("stdin", "at most " + limits.maxStdinBytes() + " bytes"));
        }
        if (request.cwd() != null) {
            String cwd = request.cwd();
            if (!cwd.startsWith("/") || cwd.length() > limits.maxCwdChars() || cwd.indexOf('\0') >= 0
                    || !Path.of(cwd).normalize().toString().equals(cwd) || List.of(cwd.split("/")).contains("..")) {
                errors.add(FieldViolation.invalid("cwd", "must be an absolute, normalized path without '..'"));
            }
        }
        if (request.maxOutputBytes() != null
                && (request.maxOutputBytes() < 0 || request.maxOutputBytes() > limits.maxMaxOutputBytes())) {
            errors.add(FieldViolation.outOfRange(
                    "max_output_bytes", "must be between 0 and " + limits.maxMaxOutputBytes()));
        }
        if (request.maxAttempts() != null
                && (request.maxAttempts() < 1 || request.maxAttempts() > limits.maxAttempts())) {
            errors.add(FieldViolation.outOfRange("max_attempts", "must be between 1 and " + limits.maxAttempts()));
        }
        if (request.timeoutSeconds() != null && request.timeoutSeconds() < 1) {
            errors.add(FieldViolation.outOfRange("timeout_seconds", "must be at least 1"));
        }
        RuntimeValidator.checkLabels("labels", request.labels() == null ? Map.of() : request.labels(), limits, errors);
        return errors;
    }

    /**
     * Builds the spec once the shape is valid and the runtime is known.
     *
     * @param runtimeSecrets the runtime's secrets, opened
     * @param maxTimeoutSeconds the runtime's own maximum
     * @param keyRing seals the run's secrets for {@link RunSpec#secretsContext}
     */
    public Result toSpec(
            SubmitRunRequest request,
            String runId,
            String handle,
            RuntimeSnapshot runtime,
            Map<String, String> runtimeSecrets,
            int defaultTimeoutSeconds,
            int maxTimeoutSeconds,
            String triggeredBy,
            Instant now,
            SecretKeyRing keyRing) {
        int timeout = request.timeoutSeconds() == null ? defaultTimeoutSeconds : request.timeoutSeconds();
        if (timeout > maxTimeoutSeconds) {
            return new Result.Invalid(List.of(FieldViolation.outOfRange(
                    "timeout_seconds", "runtime '" + runtime.key() + "' allows at most " + maxTimeoutSeconds)));
        }
        Map<String, String> env = request.env() == null ? Map.of() : request.env();
        Map<String, String> secretEnv = request.secretEnv() == null ? Map.of() : request.secretEnv();
        Map<String, String> secrets = containerSecrets(runtimeSecrets, env, secretEnv);
        return new Result.Valid(new RunSpec(
                runId,
                handle,
                runtime,
                request.name(),
                request.command(),
                request.args() == null ? List.of() : request.args(),
                env,
                request.stdin() == null ? "" : request.stdin(),
                request.cwd(),
                timeout,
                request.maxOutputBytes() == null ? limits.defaultMaxOutputBytes() : request.maxOutputBytes(),
                request.maxAttempts() == null ? 1 : request.maxAttempts(),
                request.labels() == null ? Map.of() : request.labels(),
                triggeredBy,
                now,
                secretEnv.keySet().stream().sorted().toList(),
                secrets.isEmpty() ? null : keyRing.seal(secrets, RunSpec.secretsContext(runId))));
    }

    /** The secret env entries the run's container gets: the runtime's, less those the run's env sets, then the run's. */
    static Map<String, String> containerSecrets(
            Map<String, String> runtimeSecrets, Map<String, String> env, Map<String, String> secretEnv) {
        Map<String, String> merged = new TreeMap<>(runtimeSecrets);
        merged.keySet().removeAll(env.keySet());
        merged.putAll(secretEnv);
        return merged;
    }

    public sealed interface Result {
        record Valid(RunSpec spec) implements Result {}

        record Invalid(List<FieldViolation> violations) implements Result {}
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
