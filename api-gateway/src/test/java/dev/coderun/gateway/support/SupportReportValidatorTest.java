package dev.coderun.gateway.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.gateway.GatewayFixtures;
import dev.coderun.gateway.api.FieldViolation;
import java.util.List;
import org.junit.jupiter.api.Test;

class SupportReportValidatorTest {

    private final SupportReportValidator validator = new SupportReportValidator(GatewayFixtures.defaultLimits());

    @Test
    void aSummaryAndDetailsAreEnough() {
        assertThat(validator.check(new SupportReportRequest("runs stuck", "since 10:00", null, null, null, null)))
                .isEmpty();
        assertThat(validator.check(new SupportReportRequest(
                "runs stuck", "since 10:00", "alice", "sess-1", "req_0f1e", "run 019a1b2c"))).isEmpty();
    }

    @Test
    void aMissingOrBlankSummaryOrDetailsIsRequired() {
        assertThat(fields(validator.check(new SupportReportRequest(null, " ", null, null, null, null))))
                .containsExactly("summary:required", "details:required");
    }

    @Test
    void everyFieldIsHeldToItsLimit() {
        var limits = GatewayFixtures.defaultLimits();
        List<FieldViolation> violations = validator.check(new SupportReportRequest(
                "s".repeat(limits.maxReportSummaryChars() + 1),
                "d".repeat(limits.maxReportDetailsChars() + 1),
                "h".repeat(limits.maxReportReferenceChars() + 1),
                "x".repeat(limits.maxReportReferenceChars() + 1),
                null,
                "r".repeat(limits.maxReportArtifactChars() + 1)));

        assertThat(fields(violations)).containsExactly("summary:too_long", "details:too_long", "handle:too_long",
                "session_id:too_long", "repro_artifact:too_long");
    }

    @Test
    void aRequestIdMustLookLikeOneAndOptionalTextMustNotBeBlank() {
        assertThat(fields(validator.check(new SupportReportRequest("s", "d", "", null, "not a request id", null))))
                .containsExactly("handle:invalid", "request_id:invalid");
    }

    private static List<String> fields(List<FieldViolation> violations) {
        return violations.stream().map(v -> v.field() + ":" + v.type()).toList();
    }
}
