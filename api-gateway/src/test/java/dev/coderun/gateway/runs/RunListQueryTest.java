package dev.coderun.gateway.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.coderun.events.RunStatus;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.FieldViolation;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RunListQueryTest {

    private static RunListQuery parse(Object... nameValues) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            params.computeIfAbsent((String) nameValues[i], k -> new java.util.ArrayList<>())
                    .add((String) nameValues[i + 1]);
        }
        return RunListQuery.parse(params, dev.coderun.gateway.limits.RequestLimits.defaults());
    }

    private static List<FieldViolation> violations(Object... nameValues) {
        ApiException e = catchThrowableOfType(ApiException.class, () -> parse(nameValues));
        assertThat(e).as("a 422").isNotNull();
        assertThat(e.code()).isEqualTo("validation_failed");
        return e.details();
    }

    @Test
    void noParametersIsTheFirstPageOfFiftyUnfiltered() {
        RunListQuery query = parse();

        assertThat(query).isEqualTo(new RunListQuery(null, null, List.of(), java.util.Set.of(), null, null, null, 50));
    }

    @Test
    void everyFilterIsRead() {
        RunListQuery query = parse("status", "succeeded", "runtime_key", "busybox", "label", "team=qa",
                "label", "suite=smoke", "label", "nightly", "created_after", "2026-01-01T00:00:00Z",
                "created_before", "2026-02-01T10:00:00+02:00", "limit", "500");

        assertThat(query.status()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(query.runtimeKey()).isEqualTo("busybox");
        assertThat(query.labelValues()).containsExactly(Map.entry("team", "qa"), Map.entry("suite", "smoke"));
        assertThat(query.labelKeys()).containsExactly("nightly");
        assertThat(query.createdAfter()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(query.createdBefore()).isEqualTo(Instant.parse("2026-02-01T08:00:00Z"));
        assertThat(query.limit()).isEqualTo(500);
    }

    @Test
    void aLabelValueMayContainEqualsSignsAndBeEmpty() {
        assertThat(parse("label", "expr=a=b", "label", "empty=").labelValues())
                .containsExactly(Map.entry("expr", "a=b"), Map.entry("empty", ""));
    }

    @Test
    void rfc3339LowercaseSeparatorsAndFractionsAreRead() {
        assertThat(parse("created_after", "2026-03-01t12:00:00.123456z").createdAfter())
                .isEqualTo(Instant.parse("2026-03-01T12:00:00.123456Z"));
    }

    @ParameterizedTest(name = "created_after={0} is refused")
    @ValueSource(strings = {"2026-03-01", "yesterday", "2026-03-01T12:00:00", "2026-13-01T00:00:00Z", "1700000000",
        "2026-03-01T12:00:00 02:00", ""})
    void aBadInstantIsAValidationErrorNamingTheField(String value) {
        assertThat(violations("created_after", value)).singleElement()
                .satisfies(v -> assertThat(v.field()).isEqualTo("created_after"));
        assertThat(violations("created_before", value)).singleElement()
                .satisfies(v -> assertThat(v.field()).isEqualTo("created_before"));
    }

    @ParameterizedTest(name = "label={0} is refused")
    @ValueSource(strings = {"", "=qa", "bad key=1", "-lead=1", "k\u0000=1"})
    void aBadLabelFilterIsAValidationErrorNamingLabel(String value) {
        assertThat(violations("label", value)).singleElement()
                .satisfies(v -> assertThat(v.field()).isEqualTo("label"));
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        assertThat(violations("status", "DONE", "limit", "0", "created_before", "x", "cursor", "%%%", "label", "=")
                .stream().map(FieldViolation::field))
                .containsExactlyInAnyOrder("status", "limit", "created_before", "cursor", "label");
    }

    @ParameterizedTest(name = "limit={0} is refused")
    @ValueSource(strings = {"0", "501", "-1", "ten", "99999999999"})
    void aLimitOutsideOneToFiveHundredIsRefused(String limit) {
        assertThat(violations("limit", limit)).singleElement()
                .satisfies(v -> assertThat(v.field()).isEqualTo("limit"));
    }

    @Test
    void aSingleValuedParameterGivenTwiceIsRefused() {
        assertThat(violations("status", "QUEUED", "status", "RUNNING")).singleElement()
                .satisfies(v -> assertThat(v.field()).isEqualTo("status"));
    }

    @Test
    void aCursorRoundTrips() {
        RunListQuery.Cursor cursor = new RunListQuery.Cursor(
                Instant.parse("2026-03-01T12:00:00.123456Z"), UUID.fromString("019a1b2c-3d4e-7f00-8a00-000000000001"));

        assertThat(parse("cursor", cursor.encode()).before()).isEqualTo(cursor);
    }

    @Test
    void oneLabelKeyAskedWithTwoValuesMatchesNothing() {
        assertThat(parse("label", "team=qa", "label", "team=ops").labelObject()).isNull();
        assertThat(parse("label", "team=qa", "label", "team=qa").labelObject()).isEqualTo(Map.of("team", "qa"));
    }

    @Test
    void moreThanSixtyFourLabelFiltersAreRefused() {
        Object[] params = new Object[130];
        for (int i = 0; i < 65; i++) {
            params[2 * i] = "label";
            params[2 * i + 1] = "k" + i;
        }
        assertThat(violations(java.util.Arrays.copyOf(params, 130))).singleElement()
                .satisfies(v -> assertThat(v.type()).isEqualTo("too_long"));
    }
}
