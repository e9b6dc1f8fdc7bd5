package dev.coderun.gateway.support;

import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Support reports in table {@code support_reports} (V5), listed newest first by (created_at, id). */
@Repository
class PostgresSupportReports {

    private static final String COLUMNS = "id, created_at, summary, details, handle, session_id, named_request_id,"
            + " repro_artifact, filed_by_subject, filed_by_token, request_id";

    private final DatabaseClient db;

    PostgresSupportReports(DatabaseClient db) {
        this.db = db;
    }

    Mono<SupportReport> insert(SupportReport report) {
        var spec = db.sql("insert into support_reports (" + COLUMNS + ") values (:id, :created_at, :summary, :details,"
                        + " :handle, :session_id, :named_request_id, :repro_artifact, :subject, :token, :request_id)")
                .bind("id", report.reportId())
                .bind("created_at", report.createdAt().atOffset(ZoneOffset.UTC))
                .bind("summary", report.summary())
                .bind("details", report.details())
                .bind("subject", report.filedBy().subject())
                .bind("token", report.filedBy().tokenId())
                .bind("request_id", report.filedBy().requestId());
        spec = bindNullable(spec, "handle", report.handle());
        spec = bindNullable(spec, "session_id", report.sessionId());
        spec = bindNullable(spec, "named_request_id", report.requestId());
        spec = bindNullable(spec, "repro_artifact", report.reproArtifact());
        return spec.then().thenReturn(report);
    }

    /** The report, when {@code reader} may see it ({@link #VISIBLE}). */
    Mono<SupportReport> find(UUID id, Reader reader) {
        return db.sql("select " + COLUMNS + " from support_reports where id = :id and " + VISIBLE)
                .bind("id", id)
                .bind("handles", reader.handles())
                .bind("subject", reader.subject())
                .map(PostgresSupportReports::report)
                .one();
    }

    /**
     * The reports {@code reader} may see ({@link #VISIBLE}), newest first; after {@code before} (the last report of
     * the previous page) when it is not null.
     */
    Flux<SupportReport> list(Reader reader, ReportCursor before, int limit) {
        var spec = db.sql("select " + COLUMNS + " from support_reports where " + VISIBLE
                + (before == null ? "" : " and (created_at, id) < (:created_at, :id)")
                + " order by created_at desc, id desc limit :limit");
        if (before != null) {
            spec = spec.bind("created_at", before.createdAt().atOffset(ZoneOffset.UTC)).bind("id", before.id());
        }
        return spec.bind("handles", reader.handles())
                .bind("subject", reader.subject())
                .bind("limit", limit)
                .map(PostgresSupportReports::report)
                .all();
    }

    /**
     * A reader sees the reports about its handles, and the reports naming no handle that its own subject filed: an
     * admin token of one tenant never reads another tenant's reports.
     */
    private static final String VISIBLE =
            "(handle = any(:handles) or (handle is null and filed_by_subject = :subject))";

    /** Who reads: the token's handles and subject. */
    record Reader(String[] handles, String subject) {}

    private static SupportReport report(Readable row) {
        return new SupportReport(
                row.get("id", UUID.class),
                row.get("created_at", OffsetDateTime.class).toInstant(),
                row.get("summary", String.class),
                row.get("details", String.class),
                row.get("handle", String.class),
                row.get("session_id", String.class),
                row.get("named_request_id", String.class),
                row.get("repro_artifact", String.class),
                new SupportReport.FiledBy(
                        row.get("filed_by_subject", String.class),
                        row.get("filed_by_token", String.class),
                        row.get("request_id", String.class)));
    }

    private static DatabaseClient.GenericExecuteSpec bindNullable(
            DatabaseClient.GenericExecuteSpec spec, String name, String value) {
        return value == null ? spec.bindNull(name, String.class) : spec.bind(name, value);
    }

    /** Where a page of reports ends: the (created_at, id) of its last report. */
    record ReportCursor(Instant createdAt, UUID id) {}
}
