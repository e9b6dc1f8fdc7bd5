package dev.coderun.gateway.api;

/**
 * One problem with one field of a request.
 *
 * @param field a dotted path into the request body, e.g. {@code sandbox.network} or {@code args[3]}
 * @param type machine-readable: {@code required}, {@code invalid}, {@code too_long}, {@code out_of_range},
 *     {@code unknown_field}, {@code not_supported}, {@code not_found}
 */
public record FieldViolation(String field, String message, String type) {

    public static FieldViolation required(String field) {
        return new FieldViolation(field, field + " is required", "required");
    }

    public static FieldViolation invalid(String field, String message) {
        return new FieldViolation(field, message, "invalid");
    }

    public static FieldViolation outOfRange(String field, String message) {
        return new FieldViolation(field, message, "out_of_range");
    }

    public static FieldViolation tooLong(String field, String message) {
        return new FieldViolation(field, message, "too_long");
    }
}
