package dev.coderun.gateway.runs;

import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.limits.RequestLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads the body of {@code POST .../code-runs/batch}: {@code {"runs": [item, ...]}}, where an item is a single
 * submit's body plus an optional {@code idempotency_key}. The whole request is refused (422) only when it is not such
 * an object, or has no item or more than {@link RequestLimits#maxBatchItems()}; an item that cannot be read becomes an
 * item carrying its problems, so the others still go through. Pure: no I/O.
 */
final class BatchRequests {

    static final String KEY_FIELD = "idempotency_key";

    private BatchRequests() {}

    static List<RunSubmissions.Item> parse(JsonMapper json, byte[] body, RequestLimits limits) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JacksonException e) {
            throw ApiException.validation(FieldViolation.invalid("body", "the body is not valid JSON"));
        }
        if (root == null || !root.isObject()) {
            throw ApiException.validation(FieldViolation.invalid("body", "must be an object {\"runs\": [...]}"));
        }
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (!field.getKey().equals("runs")) {
                throw ApiException.validation(new FieldViolation(
                        field.getKey(), "unknown field '" + field.getKey() + "'", "unknown_field"));
            }
        }
        JsonNode runs = root.get("runs");
        if (runs == null || runs.isNull()) {
            throw ApiException.validation(FieldViolation.required("runs"));
        }
        if (!runs.isArray()) {
            throw ApiException.validation(FieldViolation.invalid("runs", "must be an array of runs"));
        }
        if (runs.isEmpty() || runs.size() > limits.maxBatchItems()) {
            throw ApiException.validation(FieldViolation.outOfRange(
                    "runs", "must hold 1 to " + limits.maxBatchItems() + " runs; it holds " + runs.size()));
        }
        List<RunSubmissions.Item> items = new ArrayList<>(runs.size());
        for (JsonNode node : runs) {
            items.add(item(json, node, limits));
        }
        return items;
    }

    /** One item; field names in its problems are relative to the item, as a single submit names them. */
    static RunSubmissions.Item item(JsonMapper json, JsonNode node, RequestLimits limits) {
        if (!node.isObject()) {
            return new RunSubmissions.Item(
                    null, null, List.of(FieldViolation.invalid("body", "a run must be a JSON object")));
        }
        ObjectNode run = ((ObjectNode) node).deepCopy();
        JsonNode keyNode = run.remove(KEY_FIELD);
        List<FieldViolation> problems = new ArrayList<>();
        String key = null;
        if (keyNode != null && !keyNode.isNull()) {
            if (keyNode.isString()) {
                key = keyNode.asString();
                IdempotencyKeys.check(KEY_FIELD, key, limits.maxIdempotencyKeyChars()).ifPresent(problems::add);
            } else {
                problems.add(FieldViolation.invalid(KEY_FIELD, "must be a string"));
            }
        }
        SubmitRunRequest request;
        try {
            request = json.treeToValue(run, SubmitRunRequest.class);
        } catch (UnrecognizedPropertyException e) {
            problems.add(new FieldViolation(path(e), "unknown field '" + e.getPropertyName() + "'", "unknown_field"));
            request = null;
        } catch (DatabindException e) {
            String field = path(e);
            problems.add(FieldViolation.invalid(field.isEmpty() ? "body" : field, "has the wrong type or is malformed"));
            request = null;
        } catch (JacksonException e) {
            // A value no field type can hold (a number beyond any range, say), caught below data binding.
            problems.add(FieldViolation.invalid("body", "holds a value out of range or malformed"));
            request = null;
        }
        return new RunSubmissions.Item(request, problems.isEmpty() ? key : null, problems);
    }

    private static String path(DatabindException e) {
        StringBuilder path = new StringBuilder();
        for (var ref : e.getPath()) {
            if (ref.getPropertyName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(ref.getPropertyName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.toString();
    }
}
