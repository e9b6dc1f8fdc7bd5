package dev.coderun.gateway.runs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.RunStatus;
import dev.coderun.gateway.GatewayFixtures;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.FieldViolation;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class BatchResultsTest {

    @Test
    void eachOutcomeBecomesTheStatusAndBodyASingleSubmitWouldHaveAnswered() {
        RunRecord run = GatewayFixtures.aRunRecord(RunStatus.PENDING);
        List<RunSubmissions.Outcome> outcomes = List.of(
                new RunSubmissions.Outcome.Accepted(run, false),
                new RunSubmissions.Outcome.Refused(ApiException.validation(FieldViolation.required("command"))),
                new RunSubmissions.Outcome.Accepted(run, true),
                new RunSubmissions.Outcome.Refused(ApiException.upstreamUnavailable("down")));

        List<BatchResults.Result> results = BatchResults.of(outcomes, "req_1");

        assertThat(results).extracting(BatchResults.Result::status).containsExactly(202, 422, 202, 503);
        assertThat(results).extracting(BatchResults.Result::replayed).containsExactly(false, null, true, null);
        assertThat(results.get(1).error().code()).isEqualTo("validation_failed");
        assertThat(results.get(1).error().requestId()).isEqualTo("req_1");
        assertThat(results.get(1).error().details()).extracting(FieldViolation::field).containsExactly("command");
        assertThat(results.get(3).error().code()).isEqualTo("upstream_unavailable");
    }

    @Test
    void anAcceptedResultHasNoErrorFieldAndARefusedOneNoRun() {
        RunRecord run = GatewayFixtures.aRunRecord(RunStatus.PENDING);
        JsonNode accepted = IdempotencyKeysTest.JSON.valueToTree(
                BatchResults.of(new RunSubmissions.Outcome.Accepted(run, false), "req_1"));
        JsonNode refused = IdempotencyKeysTest.JSON.valueToTree(BatchResults.of(
                new RunSubmissions.Outcome.Refused(ApiException.conflict("busy")), "req_1"));

        assertThat(accepted.propertyNames()).containsExactlyInAnyOrder("status", "replayed", "run");
        assertThat(accepted.get("run").get("id").asString()).isEqualTo(run.id().toString());
        assertThat(refused.propertyNames()).containsExactlyInAnyOrder("status", "error");
        assertThat(refused.get("error").get("code").asString()).isEqualTo("conflict");
    }
}
