package dev.coderun.gateway.api;

import java.util.List;
import java.util.Map;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.server.PathContainer;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Refuses, before any route runs, a request whose decoded path or query string holds text PostgreSQL cannot store
 * ({@link StorableText}): a path segment names nothing (404 {@code not_found}), a query parameter is invalid (422
 * {@code validation_failed} naming it). Path variables (handle, runtime key, run id) and filters (status, runtime key,
 * label, cursor, ...) reach queries; this holds for every route, including ones added later. Request bodies are
 * checked while they are read ({@link JsonText}).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 5)
public class RequestTextGuard implements WebFilter {

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        for (PathContainer.Element element : exchange.getRequest().getPath().pathWithinApplication().elements()) {
            if (element instanceof PathContainer.PathSegment segment
                    && StorableText.problem(segment.valueToMatch()) != null) {
                return Mono.error(ApiException.notFound("no such resource"));
            }
        }
        for (Map.Entry<String, List<String>> param : exchange.getRequest().getQueryParams().entrySet()) {
            String nameProblem = StorableText.problem(param.getKey());
            if (nameProblem != null) {
                return Mono.error(ApiException.validation(
                        FieldViolation.invalid("query", "parameter names " + nameProblem)));
            }
            for (String value : param.getValue()) {
                String problem = value == null ? null : StorableText.problem(value);
                if (problem != null) {
                    return Mono.error(ApiException.validation(FieldViolation.invalid(param.getKey(), problem)));
                }
            }
        }
        return chain.filter(exchange);
    }
}
