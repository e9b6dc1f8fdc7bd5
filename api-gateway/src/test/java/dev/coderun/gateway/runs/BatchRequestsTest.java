package dev.coderun.gateway.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.gateway.GatewayFixtures;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.limits.RequestLimits;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchRequestsTest {

    private static final RequestLimits LIMITS = GatewayFixtures.defaultLimits();

    private static List<RunSubmissions.Item> parse(String body) {
        return BatchRequests.parse(IdempotencyKeysTest.JSON, body.getBytes(StandardCharsets.UTF_8), LIMITS);
    }

    private static ApiException refusal(String body) {
        try {
            parse(body);
        } catch (ApiException e) {
            return e;
        }
        throw new AssertionError("accepted: " + body);
    }

    @Test
    void itemsKeepTheirOrderAndTheirKeys() {
        List<RunSubmissions.Item> items = parse("""
                {"runs": [
                  {"runtime_key": "busybox", "command": "echo 1", "idempotency_key": "k-1"},
                  {"runtime_key": "busybox", "command": "echo 2"}
                ]}""");

        assertThat(items).extracting(item -> item.request().command()).containsExactly("echo 1", "echo 2");
        assertThat(items).extracting(RunSubmissions.Item::idempotencyKey).containsExactly("k-1", null);
        assertThat(items).allSatisfy(item -> assertThat(item.earlier()).isEmpty());
    }

    @Test
    void anUnreadableItemCarriesItsProblemsAndLeavesTheOthersAlone() {
        List<RunSubmissions.Item> items = parse("""
                {"runs": [
                  {"runtime_key": "busybox", "command": "ok"},
                  {"runtime_key": "busybox", "command": "x", "timeout_seconds": "soon"},
                  {"runtime_key": "busybox", "command": "x", "colour": "blue"},
                  42,
                  {"runtime_key": "busybox", "command": "x", "idempotency_key": ""},
                  {"runtime_key": "busybox", "command": "x", "idempotency_key": 7}
                ]}""");

        assertThat(items.get(0).earlier()).isEmpty();
        assertThat(items.get(1).request()).isNull();
        assertThat(items.get(1).earlier()).extracting(FieldViolation::field).containsExactly("timeout_seconds");
        assertThat(items.get(2).earlier()).extracting(FieldViolation::field, FieldViolation::type)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("colour", "unknown_field"));
        assertThat(items.get(3).request()).isNull();
        assertThat(items.get(3).earlier()).extracting(FieldViolation::field).containsExactly("body");
        assertThat(items.get(4).request()).as("a bad key still lets the run's own problems be reported").isNotNull();
        assertThat(items.get(4).idempotencyKey()).isNull();
        assertThat(items.get(4).earlier()).extracting(FieldViolation::field).containsExactly("idempotency_key");
        assertThat(items.get(5).earlier()).extracting(FieldViolation::field).containsExactly("idempotency_key");
    }

    @Test
    void theWholeBatchIsRefusedOnlyWhenItIsNotAListOfOneTo1000Runs() {
        assertThat(refusal("{\"runs\": []}").details()).extracting(FieldViolation::field).containsExactly("runs");
        assertThat(refusal("{\"runs\": {}}").code()).isEqualTo("validation_failed");
        assertThat(refusal("{}").details()).extracting(FieldViolation::type).containsExactly("required");
        assertThat(refusal("[]").details()).extracting(FieldViolation::field).containsExactly("body");
        assertThat(refusal("{\"runs\": [], \"extra\": 1}").details()).extracting(FieldViolation::type)
                .containsExactly("unknown_field");
        assertThat(refusal("{\"runs\": [").details()).extracting(FieldViolation::field).containsExactly("body");

        String item = "{\"runtime_key\":\"busybox\",\"command\":\"true\"},";
        String thousand = "{\"runs\": [" + item.repeat(LIMITS.maxBatchItems()).replaceAll(",$", "") + "]}";
        assertThat(parse(thousand)).hasSize(LIMITS.maxBatchItems());
        String tooMany = "{\"runs\": [" + item.repeat(LIMITS.maxBatchItems() + 1).replaceAll(",$", "") + "]}";
        assertThatThrownBy(() -> parse(tooMany)).isInstanceOf(ApiException.class)
                .satisfies(e -> assertThat(((ApiException) e).status().value()).isEqualTo(422))
                .hasMessageContaining("not valid");
    }

    @Test
    void aBatchLimitIsConfigurable() {
        RequestLimits two = RequestLimits.of(Map.of("max-batch-items", "2"));
        String three = "{\"runs\": [{\"command\":\"a\"},{\"command\":\"b\"},{\"command\":\"c\"}]}";

        assertThatThrownBy(() -> BatchRequests.parse(
                        IdempotencyKeysTest.JSON, three.getBytes(StandardCharsets.UTF_8), two))
                .isInstanceOf(ApiException.class);
    }

    @Test
    void hostileValuesInItemsAreThatItemsProblemsNotTheRequests() {
        List<RunSubmissions.Item> items = parse("""
                {"runs":[{"runtime_key":null,"name":false,"command":"true","max_attempts":1.7976931348623157E308,
                  "labels":{"te\\u0000am":"qa"}},{"runtime_key":1e9999999999,"name":-1}]}""");

        assertThat(items).hasSize(2);
        assertThat(items.get(0).request()).isNull();
        assertThat(items.get(0).earlier()).extracting(FieldViolation::field).containsExactly("body");
        // Readable, if absurd: the submit path's validation refuses it, as it would a single submit.
        assertThat(items.get(1).request().runtimeKey()).isEqualTo("Infinity");
    }
}
