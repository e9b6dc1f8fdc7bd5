package dev.coderun.gateway.runs;

import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.Envelopes;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.api.RequestIds;
import dev.coderun.gateway.auth.Caller;
import dev.coderun.gateway.limits.RequestLimits;
import java.util.List;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /v2/handles/{handle}/code-runs/batch}: up to {@link RequestLimits#maxBatchItems()} runs in one request,
 * answered 200 with one result per item, in order ({@link BatchResults}). The body is read here, not by the HTTP
 * codecs (it binds the raw buffers), because this route alone takes up to {@link RequestLimits#maxBatchRequestBytes()}: every other route keeps
 * the codecs' {@link RequestLimits#maxRunRequestBytes()}.
 */
@RestController
class RunBatchController {

    private final RunSubmissions submissions;
    private final JsonMapper json;
    private final RequestLimits limits;

    RunBatchController(RunSubmissions submissions, JsonMapper json, RequestLimits limits) {
        this.submissions = submissions;
        this.json = json;
        this.limits = limits;
    }

    @PostMapping("/v2/handles/{handle}/code-runs/batch")
    Mono<Envelopes.Data<List<BatchResults.Result>>> submitBatch(
            @PathVariable String handle,
            @RequestBody(required = false) Flux<DataBuffer> content,
            ServerWebExchange exchange) {
        Caller caller = Caller.of(exchange);
        String requestId = RequestIds.of(exchange);
        return body(content, exchange.getRequest().getHeaders().getContentType(), limits.maxBatchRequestBytes())
                .map(bytes -> BatchRequests.parse(json, bytes, limits))
                .flatMap(items -> submissions.submitAll(handle, caller, items))
                .map(outcomes -> Envelopes.data(BatchResults.of(outcomes, requestId)));
    }

    /** The whole body, refused with 413 (DataBufferLimitException, mapped by the error handler) over {@code max}. */
    static Mono<byte[]> body(Flux<DataBuffer> content, MediaType type, int max) {
        if (type != null && !MediaType.APPLICATION_JSON.isCompatibleWith(type)) {
            return Mono.error(new ApiException(
                    HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "send application/json"));
        }
        return DataBufferUtils.join(content == null ? Flux.empty() : content, max)
                .map(buffer -> {
                    byte[] bytes = new byte[buffer.readableByteCount()];
                    buffer.read(bytes);
                    DataBufferUtils.release(buffer);
                    return bytes;
                })
                .switchIfEmpty(Mono.error(() -> ApiException.validation(FieldViolation.required("body"))));
    }
}
