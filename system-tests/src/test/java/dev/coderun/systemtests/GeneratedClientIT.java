package dev.coderun.systemtests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.coderun.client.ApiClient;
import dev.coderun.client.ApiException;
import dev.coderun.client.ApiResponse;
import dev.coderun.client.api.DocsApi;
import dev.coderun.client.api.RunsApi;
import dev.coderun.client.api.RuntimesApi;
import dev.coderun.client.api.SupportApi;
import dev.coderun.client.api.TokensApi;
import dev.coderun.client.model.ErrorCode;
import dev.coderun.client.model.ErrorEnvelope;
import dev.coderun.client.model.Limits;
import dev.coderun.client.model.MintedToken;
import dev.coderun.client.model.Run;
import dev.coderun.client.model.RunEnvelope;
import dev.coderun.client.model.RunOutput;
import dev.coderun.client.model.RunStatus;
import dev.coderun.client.model.Runtime;
import dev.coderun.client.model.RuntimeEnvelope;
import dev.coderun.client.model.RuntimeRequest;
import dev.coderun.client.model.RuntimeRequestImage;
import dev.coderun.client.model.RuntimeValidation;
import dev.coderun.client.model.SubmitRunRequest;
import dev.coderun.client.model.SupportReport;
import dev.coderun.client.model.SupportReportRequest;
import dev.coderun.client.model.Token;
import dev.coderun.client.model.TokenRequest;
import dev.coderun.client.model.Transition;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The API as a stranger's generated client sees it: every call here goes through the client openapi-generator made
 * from the gateway's OpenAPI document at build time (java, library native), so a document that does not describe what
 * the gateway answers fails here, in (de)serialization or in the assertions on the typed models.
 */
class GeneratedClientIT {

    private static final Set<RunStatus> TERMINAL = EnumSet.of(RunStatus.SUCCEEDED, RunStatus.FAILED,
            RunStatus.TIMED_OUT, RunStatus.CANCELLED, RunStatus.ERRORED, RunStatus.REJECTED);

    private static String handle;
    private static String token;
    private static ApiClient client;
    private static RuntimesApi runtimes;
    private static RunsApi runs;

    @BeforeAll
    static void aClientForAFreshHandle() {
        Stack stack = Stack.get();
        handle = "gen-" + UUID.randomUUID().toString().substring(0, 8);
        token = Api.token(Stack.JWT_SECRET, "user:generated", List.of(handle),
                "runtimes:read runtimes:write runs:read runs:write");
        client = new ApiClient();
        client.updateBaseUri(stack.gatewayUrl);
        client.setReadTimeout(Duration.ofSeconds(30));
        // The native library has no auth support of its own; a request interceptor carries the bearer token.
        client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + token));
        runtimes = new RuntimesApi(client);
        runs = new RunsApi(client);
    }

    @Test
    void aRuntimeIsCreatedAndValidatedThenARunSucceedsWithItsOutputAndIsListed() throws Exception {
        String digest = Tenant.digestOf("coderun/busybox", "latest");
        ApiResponse<RuntimeEnvelope> created = runtimes.putRuntimeWithHttpInfo(handle, "busybox", new RuntimeRequest()
                .image(new RuntimeRequestImage().uri(Tenant.REGISTRY + "/coderun/busybox").digest(digest)), null);

        assertThat(created.getStatusCode()).isEqualTo(201);
        assertThat(created.getHeaders()).containsKeys("etag", "x-request-id");
        Runtime runtime = created.getData().getData();
        assertThat(runtime.getKey()).isEqualTo("busybox");
        assertThat(runtime.getVersion()).isEqualTo(1L);
        assertThat(runtime.getImage().getDigest()).isEqualTo(digest);
        assertThat(runtime.getValidation().getStatus()).isEqualTo(RuntimeValidation.StatusEnum.UNVALIDATED);

        RuntimeValidation.StatusEnum validated = runtimes.validateRuntimeImage(handle, "busybox")
                .getData().getValidation().getStatus();
        if (validated == RuntimeValidation.StatusEnum.VALIDATING) {
            validated = await("validation").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> runtimes.getRuntime(handle, "busybox").getData().getValidation().getStatus(),
                            status -> status != RuntimeValidation.StatusEnum.VALIDATING);
        }
        assertThat(validated).isEqualTo(RuntimeValidation.StatusEnum.VALID);

        SubmitRunRequest request = new SubmitRunRequest()
                .runtimeKey("busybox").command("echo hi").labels(Map.of("suite", "generated-client"));
        String key = "generated-" + UUID.randomUUID();
        ApiResponse<RunEnvelope> submitted = runs.submitRunWithHttpInfo(handle, request, key);
        assertThat(submitted.getStatusCode()).isEqualTo(202);
        assertThat(submitted.getHeaders()).doesNotContainKey("idempotent-replayed");
        ApiResponse<RunEnvelope> again = runs.submitRunWithHttpInfo(handle, request, key);
        assertThat(again.getStatusCode()).isEqualTo(202);
        assertThat(again.getHeaders()).containsEntry("idempotent-replayed", List.of("true"));
        assertThat(again.getData().getData().getId()).isEqualTo(submitted.getData().getData().getId());
        Run pending = submitted.getData().getData();
        assertThat(pending.getStatus()).isEqualTo(RunStatus.PENDING);
        assertThat(pending.getTriggeredBy()).isEqualTo("user:generated");

        // The run's event stream, as the document describes it (text/event-stream; generated clients do not read
        // streams, so it is read with the generated client's base URI and the same token): its transitions, then its end.
        try (SseClient events = SseClient.open(client.getBaseUri() + "/v2/handles/" + handle + "/code-runs/"
                + pending.getId() + "/events", token, Map.of())) {
            assertThat(events.status).isEqualTo(200);
            await("the run's stream ends").atMost(Tenant.RUN_BOUND).until(events::ended);
            assertThat(events.events).filteredOn(e -> e.event().equals("transition"))
                    .extracting(e -> e.data().path("status").asString())
                    .containsExactly("PENDING", "QUEUED", "STARTING", "RUNNING", "SUCCEEDED");
        }

        Run run = await("run " + pending.getId()).atMost(Tenant.RUN_BOUND).pollInterval(Duration.ofMillis(200))
                .until(() -> runs.getRun(handle, pending.getId()).getData(), r -> TERMINAL.contains(r.getStatus()));
        assertThat(run.getStatus()).isEqualTo(RunStatus.SUCCEEDED);
        assertThat(run.getExitCode()).isZero();
        assertThat(run.getTerminationReason()).isEqualTo("exited");
        assertThat(run.getFinishedAt()).isAfterOrEqualTo(run.getStartedAt());
        assertThat(run.getLabels()).containsEntry("suite", "generated-client");
        assertThat(run.getTransitions()).extracting(Transition::getStatus).containsExactly(
                RunStatus.PENDING, RunStatus.QUEUED, RunStatus.STARTING, RunStatus.RUNNING, RunStatus.SUCCEEDED);

        RunOutput output = await("output of " + run.getId()).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> runs.getRunOutput(handle, run.getId()).getData(), RunOutput::getComplete);
        assertThat(output.getStdout()).isEqualTo("hi\n");
        assertThat(output.getStderr()).isEmpty();
        assertThat(output.getStdoutBytes()).isEqualTo(3L);
        assertThat(output.getStdoutTruncated()).isFalse();

        assertThat(runs.listRuns(handle, RunStatus.SUCCEEDED, "busybox", List.of("suite=generated-client"), null,
                null, 10, null).getData())
                .extracting(Run::getId).contains(run.getId());
        assertThat(runs.listRuns(handle, RunStatus.FAILED, null, null, null, null, 10, null).getData()).isEmpty();
    }

    @Test
    void anErrorArrivesAsTheDocumentedEnvelope() throws Exception {
        UUID unknown = UUID.randomUUID();
        ApiException failure = catchThrowableOfType(ApiException.class, () -> runs.getRun(handle, unknown));

        assertThat(failure.getCode()).isEqualTo(404);
        ErrorEnvelope envelope = client.getObjectMapper().readValue(failure.getResponseBody(), ErrorEnvelope.class);
        assertThat(envelope.getError().getCode()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(envelope.getError().getRequestId()).isNotBlank();
        assertThat(envelope.getError().getDetails()).isEmpty();
    }

    @Test
    void theLimitsShowTheDailyQuotaAndTheTokensRateLimits() throws Exception {
        ApiResponse<dev.coderun.client.model.LimitsEnvelope> answer = runs.getLimitsWithHttpInfo(handle);

        assertThat(answer.getHeaders()).containsKeys("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset");
        Limits limits = answer.getData().getData();
        assertThat(limits.getDailyWrites().getLimit()).isEqualTo(1_000_000L);
        assertThat(limits.getDailyWrites().getResetsAt()).isAfter(java.time.OffsetDateTime.now());
        assertThat(limits.getRateLimits().getReads().getLimit()).isEqualTo(2000L);
        assertThat(limits.getRateLimits().getReads().getRemaining()).isBetween(0L, 2000L);
        assertThat(limits.getRateLimits().getStreams().getLimit()).isEqualTo(1000L);
    }

    @Test
    void aSupportReportIsFiledAndAnOperatorReadsIt() throws Exception {
        SupportReport filed = new SupportApi(client).fileSupportReport(new SupportReportRequest()
                .summary("generated client report").details("filed through the generated client").handle(handle))
                .getData();
        assertThat(filed.getHandle()).isEqualTo(handle);
        assertThat(filed.getSessionId()).isNull();
        assertThat(filed.getFiledBy().getSubject()).isEqualTo("user:generated");

        ApiClient operatorClient = new ApiClient();
        operatorClient.updateBaseUri(client.getBaseUri());
        String operator = Api.token(Stack.JWT_SECRET, "user:operator", List.of(handle), "admin");
        operatorClient.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + operator));
        SupportApi support = new SupportApi(operatorClient);
        assertThat(support.getSupportReport(filed.getReportId()).getData()).isEqualTo(filed);
        assertThat(support.listSupportReports(500, null).getData()).extracting(SupportReport::getReportId)
                .contains(filed.getReportId());
    }

    @Test
    void aPersonalAccessTokenIsMintedUsedListedAndRevoked() throws Exception {
        TokensApi tokens = new TokensApi(clientWith(
                Api.token(Stack.JWT_SECRET, "user:generated", List.of(handle), "admin")));
        OffsetDateTime expiry = OffsetDateTime.now().plusHours(1);

        MintedToken minted = tokens.createToken(new TokenRequest().name("generated client").handles(List.of(handle))
                .scopes(List.of(TokenRequest.ScopesEnum.RUNS_READ)).expiresAt(expiry)).getData();
        RunsApi withPat = new RunsApi(clientWith(minted.getToken()));

        assertThat(minted.getToken()).matches("crp_[0-9A-Za-z]{40}").startsWith(minted.getPrefix());
        assertThat(minted.getCreatedBy()).isEqualTo("user:generated");
        assertThat(minted.getExpiresAt().toInstant()).isCloseTo(expiry.toInstant(), within(1, ChronoUnit.MILLIS));
        assertThat(withPat.getLimits(handle).getData().getMaxActiveRuns()).isPositive();
        assertThat(tokens.listTokens(100, null).getData()).filteredOn(t -> t.getId().equals(minted.getId()))
                .singleElement().satisfies(t -> {
                    assertThat(t.getPrefix()).isEqualTo(minted.getPrefix());
                    assertThat(t.getScopes()).containsExactly("runs:read");
                    assertThat(t.getLastUsedAt()).isNotNull();
                });

        Token revoked = tokens.revokeToken(minted.getId()).getData();

        assertThat(revoked.getRevokedAt()).isNotNull();
        ApiException refused = catchThrowableOfType(ApiException.class, () -> withPat.getLimits(handle));
        assertThat(refused.getCode()).isEqualTo(401);
        assertThat(client.getObjectMapper().readValue(refused.getResponseBody(), ErrorEnvelope.class).getError()
                .getCode()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    private static ApiClient clientWith(String bearer) {
        ApiClient other = new ApiClient();
        other.updateBaseUri(client.getBaseUri());
        other.setReadTimeout(Duration.ofSeconds(30));
        other.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + bearer));
        return other;
    }

    @Test
    void theDocumentItselfIsServedAsOpenApi31WithoutAToken() throws Exception {
        ApiClient anonymous = new ApiClient();
        anonymous.updateBaseUri(client.getBaseUri());

        Object document = new DocsApi(anonymous).getApiDocs();

        assertThat(document).isInstanceOf(Map.class);
        assertThat(((Map<?, ?>) document).get("openapi")).isEqualTo("3.1.0");
    }
}
