package dev.coderun.gateway.support;

/**
 * The body of {@code POST /v2/support/report} (SPEC §4, seed 000's escalation path). Only {@code summary} and
 * {@code details} are required; the rest point support at what went wrong.
 *
 * @param handle the handle the problem is in; must be one of the token's
 * @param requestId the {@code X-Request-Id} of a request that went wrong
 * @param reproArtifact how to reproduce it: a link, a run id, a short script
 */
record SupportReportRequest(
        String summary, String details, String handle, String sessionId, String requestId, String reproArtifact) {}
