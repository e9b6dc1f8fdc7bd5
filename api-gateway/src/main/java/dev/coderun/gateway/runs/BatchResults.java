package dev.coderun.gateway.runs;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.Envelopes;
import java.util.List;

/** The answer of {@code POST .../code-runs/batch}: one result per item, in order. Pure. */
final class BatchResults {

    private BatchResults() {}

    /**
     * One item's result: {@code {status: 202, replayed, run}} when accepted, {@code {status, error}} with the status
     * and error envelope a single submit of the item would have answered otherwise.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Result(int status, Boolean replayed, RunRecord run, Envelopes.ErrorBody error) {}

    static List<Result> of(List<RunSubmissions.Outcome> outcomes, String requestId) {
        return outcomes.stream().map(outcome -> of(outcome, requestId)).toList();
    }

    static Result of(RunSubmissions.Outcome outcome, String requestId) {
        return switch (outcome) {
            case RunSubmissions.Outcome.Accepted accepted ->
                new Result(202, accepted.replayed(), accepted.run(), null);
            case RunSubmissions.Outcome.Refused refused -> {
                ApiException e = refused.error();
                yield new Result(e.status().value(), null, null,
                        new Envelopes.ErrorBody(e.code(), e.getMessage(), requestId, e.details(), e.extra()));
            }
        };
    }
}
