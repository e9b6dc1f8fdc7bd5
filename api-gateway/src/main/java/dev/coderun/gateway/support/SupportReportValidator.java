package dev.coderun.gateway.support;

import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.api.RequestIds;
import dev.coderun.gateway.limits.RequestLimits;
import java.util.ArrayList;
import java.util.List;

/** What a support report must be: a summary and details, each field within {@link RequestLimits}. Pure. */
final class SupportReportValidator {

    private final RequestLimits limits;

    SupportReportValidator(RequestLimits limits) {
        this.limits = limits;
    }

    /** Every problem of {@code request}, one per field; empty when it is valid. */
    List<FieldViolation> check(SupportReportRequest request) {
        List<FieldViolation> violations = new ArrayList<>();
        required(violations, "summary", request.summary(), limits.maxReportSummaryChars());
        required(violations, "details", request.details(), limits.maxReportDetailsChars());
        optional(violations, "handle", request.handle(), limits.maxReportReferenceChars());
        optional(violations, "session_id", request.sessionId(), limits.maxReportReferenceChars());
        optional(violations, "repro_artifact", request.reproArtifact(), limits.maxReportArtifactChars());
        if (request.requestId() != null && !RequestIds.isSane(request.requestId())) {
            violations.add(FieldViolation.invalid("request_id",
                    "is not a request id: 1 to 128 of A-Z a-z 0-9 . _ : - (as X-Request-Id)"));
        }
        return violations;
    }

    private static void required(List<FieldViolation> violations, String field, String value, int max) {
        if (value == null || value.isBlank()) {
            violations.add(FieldViolation.required(field));
        } else {
            bounded(violations, field, value, max);
        }
    }

    private static void optional(List<FieldViolation> violations, String field, String value, int max) {
        if (value == null) {
            return;
        }
        if (value.isBlank()) {
            violations.add(FieldViolation.invalid(field, "must not be blank; leave it out instead"));
        } else {
            bounded(violations, field, value, max);
        }
    }

    private static void bounded(List<FieldViolation> violations, String field, String value, int max) {
        if (value.length() > max) {
            violations.add(FieldViolation.tooLong(field, "must be at most " + max + " characters"));
        }
    }
}
