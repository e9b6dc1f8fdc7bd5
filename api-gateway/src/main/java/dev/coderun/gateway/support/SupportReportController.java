package dev.coderun.gateway.support;

import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.Envelopes;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.api.RequestIds;
import dev.coderun.gateway.auth.Caller;
import dev.coderun.gateway.limits.RequestLimits;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Support reports (SPEC §4, seed 000's end-user escalation path). {@code POST /v2/support/report}: any authenticated
 * token files one (no scope), stored with who filed it and the request that did; a {@code handle} the token does not
 * name is 404, as everywhere. {@code GET /v2/support/reports} (newest first) and {@code GET
 * /v2/support/reports/{reportId}} need scope {@code admin} (auth.RouteAccess) and show the reports about the token's
 * handles, and those naming no handle that its subject filed; any other report is 404.
 */
@RestController
class SupportReportController {

    private final PostgresSupportReports reports;
    private final SupportReportValidator validator;
    private final RequestLimits limits;
    private final Clock clock;

    SupportReportController(PostgresSupportReports reports, RequestLimits limits, Clock clock) {
        this.reports = reports;
        this.validator = new SupportReportValidator(limits);
        this.limits = limits;
        this.clock = clock;
    }

    @PostMapping("/v2/support/report")
    Mono<ResponseEntity<Envelopes.Data<SupportReport>>> file(
            @RequestBody SupportReportRequest request, ServerWebExchange exchange) {
        Caller caller = Caller.of(exchange);
        List<FieldViolation> violations = validator.check(request);
        if (!violations.isEmpty()) {
            throw ApiException.validation(violations);
        }
        if (request.handle() != null && !caller.handles().contains(request.handle())) {
            throw ApiException.notFound("handle '" + request.handle() + "' not found");
        }
        SupportReport report = new SupportReport(
                UUID.randomUUID(), clock.instant().truncatedTo(ChronoUnit.MICROS), request.summary(),
                request.details(), request.handle(), request.sessionId(), request.requestId(), request.reproArtifact(),
                new SupportReport.FiledBy(caller.subject(), caller.tokenId(), RequestIds.of(exchange)));
        return reports.insert(report)
                .map(stored -> ResponseEntity.status(HttpStatus.CREATED).body(Envelopes.data(stored)));
    }

    @GetMapping("/v2/support/reports")
    Mono<Envelopes.Page<SupportReport>> list(
            @RequestParam(name = "limit", defaultValue = "100") int limit,
            @RequestParam(name = "cursor", required = false) String cursor,
            ServerWebExchange exchange) {
        if (limit < 1 || limit > limits.maxPageSize()) {
            throw ApiException.validation(
                    FieldViolation.outOfRange("limit", "must be between 1 and " + limits.maxPageSize()));
        }
        return reports.list(reader(exchange), cursor == null ? null : decode(cursor), limit + 1).collectList().map(page -> {
            boolean more = page.size() > limit;
            List<SupportReport> shown = more ? page.subList(0, limit) : page;
            return new Envelopes.Page<>(shown, more ? encode(shown.getLast()) : null);
        });
    }

    @GetMapping("/v2/support/reports/{reportId}")
    Mono<Envelopes.Data<SupportReport>> get(@PathVariable String reportId, ServerWebExchange exchange) {
        UUID id;
        try {
            id = UUID.fromString(reportId);
        } catch (IllegalArgumentException e) {
            throw notFound(reportId);
        }
        return reports.find(id, reader(exchange)).switchIfEmpty(Mono.error(() -> notFound(reportId))).map(Envelopes::data);
    }

    private static PostgresSupportReports.Reader reader(ServerWebExchange exchange) {
        Caller caller = Caller.of(exchange);
        return new PostgresSupportReports.Reader(caller.handles().toArray(String[]::new), caller.subject());
    }

    private static ApiException notFound(String reportId) {
        return ApiException.notFound("support report " + reportId + " not found");
    }

    private static String encode(SupportReport last) {
        String raw = last.createdAt() + "|" + last.reportId();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    private static PostgresSupportReports.ReportCursor decode(String cursor) {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\\|");
            return new PostgresSupportReports.ReportCursor(Instant.parse(parts[0]), UUID.fromString(parts[1]));
        } catch (RuntimeException e) {
            throw ApiException.validation(FieldViolation.invalid("cursor", "not a cursor this API issued"));
        }
    }
}
