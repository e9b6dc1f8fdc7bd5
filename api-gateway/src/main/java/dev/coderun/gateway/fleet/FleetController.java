package dev.coderun.gateway.fleet;

import dev.coderun.events.DrainWorker;
import dev.coderun.events.UndrainWorker;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.Envelopes;
import dev.coderun.gateway.api.FieldViolation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The worker fleet, for the operator: {@code GET /v2/fleet/workers} lists every worker heard from, {@code GET
 * /v2/fleet/workers/{workerId}} one, {@code POST .../drain} and {@code POST .../undrain} send the worker a directive.
 * Who may call them is decided in {@code auth.RouteAccess} (scope {@code admin} on a token holding the operator
 * handle, {@code coderun.fleet.operator-handle}). A worker this gateway has not heard from within
 * {@code forget-after} is {@code not_found}.
 */
@RestController
class FleetController {

    private final HeartbeatFeed feed;
    private final KafkaFleetDirectives directives;
    private final FleetProperties properties;
    private final Clock clock;

    FleetController(HeartbeatFeed feed, KafkaFleetDirectives directives, FleetProperties properties, Clock clock) {
        this.feed = feed;
        this.directives = directives;
        this.properties = properties;
        this.clock = clock;
    }

    @GetMapping("/v2/fleet/workers")
    Envelopes.Page<WorkerStatus> workers() {
        return new Envelopes.Page<>(feed.view().workers(clock.instant()), null);
    }

    @GetMapping("/v2/fleet/workers/{workerId}")
    Envelopes.Data<WorkerStatus> worker(@PathVariable String workerId) {
        return Envelopes.data(known(workerId, clock.instant()));
    }

    @PostMapping("/v2/fleet/workers/{workerId}/drain")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Mono<Envelopes.Data<DirectiveReceipt>> drain(
            @PathVariable String workerId, @RequestBody(required = false) DrainRequest request) {
        Instant now = clock.instant();
        Instant deadline = deadline(request, now);
        WorkerStatus worker = known(workerId, now);
        return directives.publish(new DrainWorker(workerId, deadline, now))
                .thenReturn(Envelopes.data(new DirectiveReceipt(workerId, "drain", deadline, now, worker)));
    }

    @PostMapping("/v2/fleet/workers/{workerId}/undrain")
    @ResponseStatus(HttpStatus.ACCEPTED)
    Mono<Envelopes.Data<DirectiveReceipt>> undrain(@PathVariable String workerId) {
        Instant now = clock.instant();
        WorkerStatus worker = known(workerId, now);
        return directives.publish(new UndrainWorker(workerId, now))
                .thenReturn(Envelopes.data(new DirectiveReceipt(workerId, "undrain", null, now, worker)));
    }

    private WorkerStatus known(String workerId, Instant now) {
        return feed.view().worker(workerId, now)
                .orElseThrow(() -> ApiException.notFound("worker '" + workerId + "' not found"));
    }

    private Instant deadline(DrainRequest request, Instant now) {
        if (request == null || request.deadlineSeconds() == null) {
            return null;
        }
        long seconds = request.deadlineSeconds();
        long max = properties.maxDrainDeadline().toSeconds();
        if (seconds < 0 || seconds > max) {
            throw ApiException.validation(FieldViolation.outOfRange("deadline_seconds",
                    "must be between 0 and " + max + " seconds"));
        }
        return now.plus(Duration.ofSeconds(seconds));
    }
}
