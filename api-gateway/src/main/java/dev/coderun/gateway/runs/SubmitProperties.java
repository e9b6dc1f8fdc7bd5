package dev.coderun.gateway.runs;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How single submits are grouped ({@code coderun.submit.*}; {@link GroupCommit}). Single submits to one handle that
 * arrive while {@code maxGroupsInFlight} groups of that handle are being accepted wait for one of them to finish and
 * then go together, as a batch does: one runtime lookup, one idempotency claim, one Kafka batch, one insert. An idle
 * handle's submit goes at once.
 *
 * @param maxGroupsInFlight groups of one handle accepted at the same time (at least 1)
 * @param maxGroupSize most single submits in one group (at least 1)
 */
@ConfigurationProperties("coderun.submit")
public record SubmitProperties(
        @DefaultValue("4") int maxGroupsInFlight, @DefaultValue("256") int maxGroupSize) {}
