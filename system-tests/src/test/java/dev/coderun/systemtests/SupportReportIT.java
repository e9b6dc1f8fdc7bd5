package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v2/support/report} as a user files one and an operator ({@code admin} on the handle) reads it back:
 * stored with who filed it, the request that did and the request it names; refused with the API's usual errors
 * otherwise. An admin of another handle reads none of them.
 */
class SupportReportIT {

    private final String handle = "support-" + UUID.randomUUID().toString().substring(0, 8);
    private final String subject = "user:support-" + UUID.randomUUID().toString().substring(0, 8);
    private final Api user = new Api(Stack.get().gatewayUrl,
            Api.token(Stack.JWT_SECRET, subject, List.of(handle), "runs:read"));
    private final Api operator = new Api(Stack.get().gatewayUrl,
            Api.token(Stack.JWT_SECRET, "user:operator", List.of(handle), "admin"));

    @Test
    void aReportIsStoredWithItsFilerAndRequestIdsAndAnOperatorReadsItBack() {
        Api.Response failed = user.get("/v2/handles/" + handle + "/code-runs/" + UUID.randomUUID());
        String failedRequest = failed.raw().headers().firstValue("X-Request-Id").orElseThrow();

        Api.Response filed = user.post("/v2/support/report", Map.of(
                "summary", "run not found right after submit",
                "details", "GET of the run answered 404 a moment after it was accepted",
                "handle", handle,
                "session_id", "sess-42",
                "request_id", failedRequest,
                "repro_artifact", "curl -H 'Authorization: Bearer …' …/code-runs/…"));

        assertThat(filed.status()).as(filed.body().toString()).isEqualTo(201);
        JsonNode report = filed.data();
        String reportId = report.get("report_id").asString();
        assertThat(UUID.fromString(reportId)).isNotNull();
        assertThat(report.get("request_id").asString()).isEqualTo(failedRequest);
        assertThat(report.get("handle").asString()).isEqualTo(handle);
        assertThat(report.get("filed_by").get("subject").asString()).isEqualTo(subject);
        assertThat(report.get("filed_by").get("token_id").asString()).isEqualTo("jwt:" + subject);
        assertThat(report.get("filed_by").get("request_id").asString())
                .isEqualTo(filed.raw().headers().firstValue("X-Request-Id").orElseThrow());

        Api.Response read = operator.get("/v2/support/reports/" + reportId);
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.data()).isEqualTo(report);

        Api.Response later = user.post("/v2/support/report",
                Map.of("summary", "second", "details", "later one", "handle", handle));
        assertThat(later.status()).isEqualTo(201);
        List<String> newestFirst = new ArrayList<>();
        operator.get("/v2/support/reports?limit=500").data()
                .forEach(r -> newestFirst.add(r.get("report_id").asString()));
        assertThat(newestFirst).containsSubsequence(later.data().get("report_id").asString(), reportId);
    }

    @Test
    void onlyAnOperatorReadsReports() {
        String reportId = user.post("/v2/support/report", Map.of("summary", "s", "details", "d"))
                .data().get("report_id").asString();

        Api.Response list = user.get("/v2/support/reports");
        assertThat(list.status()).isEqualTo(403);
        assertThat(list.error().get("code").asString()).isEqualTo("forbidden");
        assertThat(user.get("/v2/support/reports/" + reportId).status()).isEqualTo(403);
        assertThat(new Api(Stack.get().gatewayUrl, null).post("/v2/support/report",
                Map.of("summary", "s", "details", "d")).status()).isEqualTo(401);
        assertThat(operator.get("/v2/support/reports/" + UUID.randomUUID()).status()).isEqualTo(404);
    }

    @Test
    void aReportWithoutItsRequiredFieldsOrForAnotherHandleIsRefused() {
        Api.Response empty = user.post("/v2/support/report", Map.of("handle", handle));
        assertThat(empty.status()).isEqualTo(422);
        assertThat(empty.error().get("code").asString()).isEqualTo("validation_failed");
        List<String> fields = new ArrayList<>();
        empty.error().get("details").forEach(d -> fields.add(d.get("field").asString()));
        assertThat(fields).containsExactly("summary", "details");

        Api.Response tooLong = user.post("/v2/support/report", Map.of("summary", "x".repeat(201), "details", "d",
                "request_id", "not a request id"));
        assertThat(tooLong.status()).isEqualTo(422);
        List<String> problems = new ArrayList<>();
        tooLong.error().get("details").forEach(d -> problems.add(d.get("field").asString() + ":"
                + d.get("type").asString()));
        assertThat(problems).containsExactly("summary:too_long", "request_id:invalid");

        Api.Response elsewhere = user.post("/v2/support/report",
                Map.of("summary", "s", "details", "d", "handle", "someone-else"));
        assertThat(elsewhere.status()).isEqualTo(404);
        assertThat(elsewhere.error().get("code").asString()).isEqualTo("not_found");
    }

    @Test
    void anAdminReadsTheReportsAboutItsHandlesAndItsOwnHandlelessOnesOnly() {
        String aboutHandle = user.post("/v2/support/report", Map.of("summary", "s", "details", "d", "handle", handle))
                .data().get("report_id").asString();
        String handleless = user.post("/v2/support/report", Map.of("summary", "s", "details", "no handle"))
                .data().get("report_id").asString();
        Api stranger = new Api(Stack.get().gatewayUrl, Api.token(Stack.JWT_SECRET, "user:stranger",
                List.of("stranger-" + UUID.randomUUID().toString().substring(0, 8)), "admin"));
        Api filersAdmin = new Api(Stack.get().gatewayUrl, Api.token(Stack.JWT_SECRET, subject, List.of(), "admin"));

        assertThat(stranger.get("/v2/support/reports/" + aboutHandle).status()).isEqualTo(404);
        assertThat(stranger.get("/v2/support/reports/" + handleless).status()).isEqualTo(404);
        List<String> strangerSees = new ArrayList<>();
        stranger.get("/v2/support/reports?limit=500").data()
                .forEach(r -> strangerSees.add(r.get("report_id").asString()));
        assertThat(strangerSees).doesNotContain(aboutHandle, handleless);

        assertThat(operator.get("/v2/support/reports/" + aboutHandle).status()).isEqualTo(200);
        assertThat(operator.get("/v2/support/reports/" + handleless).status()).isEqualTo(404);
        assertThat(filersAdmin.get("/v2/support/reports/" + handleless).status()).isEqualTo(200);
        assertThat(filersAdmin.get("/v2/support/reports/" + aboutHandle).status()).isEqualTo(404);
    }
}
