package dev.coderun.gateway.support;

import java.time.Instant;
import java.util.UUID;

/**
 * A stored support report, as {@code POST /v2/support/report} answers it and {@code GET /v2/support/reports} lists it.
 * Optional fields are null when the report did not give them.
 *
 * @param requestId the request id the report names (its {@code request_id} field)
 * @param filedBy who filed it and with which request
 */
record SupportReport(
        UUID reportId,
        Instant createdAt,
        String summary,
        String details,
        String handle,
        String sessionId,
        String requestId,
        String reproArtifact,
        FiledBy filedBy) {

    /**
     * @param subject the token's subject
     * @param tokenId the credential it filed with ({@code jwt:<jti|sub>})
     * @param requestId the id of the request that filed the report
     */
    record FiledBy(String subject, String tokenId, String requestId) {}
}
