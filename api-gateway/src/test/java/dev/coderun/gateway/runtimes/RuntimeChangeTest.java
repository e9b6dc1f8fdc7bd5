package dev.coderun.gateway.runtimes;

import static dev.coderun.gateway.GatewayFixtures.DIGEST_A;
import static dev.coderun.gateway.GatewayFixtures.DIGEST_B;
import static dev.coderun.gateway.GatewayFixtures.IMAGE_URI;
import static dev.coderun.gateway.GatewayFixtures.NOW;
import static dev.coderun.gateway.GatewayFixtures.aRuntimeDefinition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.gateway.api.ApiException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpStatus;

class RuntimeChangeTest {

    private static final Instant CREATED = Instant.parse("2026-11-01T08:00:00Z");
    private static final ImageValidation VALIDATED = new ImageValidation(
            ImageValidation.Status.VALID, null, DIGEST_A, DIGEST_A, Instant.parse("2026-11-01T08:01:00Z"));

    private final RuntimeRecord current = new RuntimeRecord(
            "alice", "busybox", UUID.fromString("6f1c2e2a-1111-4a4a-9b9b-0123456789ab"), aRuntimeDefinition(), 3,
            VALIDATED, CREATED, CREATED, null);

    @Test
    void anAbsentRuntimeIsCreatedAtVersionOneAndUnvalidated() {
        RuntimeChange.Outcome outcome = RuntimeChange.decide("alice", "busybox", null, aRuntimeDefinition(), null, null, NOW);

        assertThat(outcome.kind()).isEqualTo(RuntimeChange.Kind.CREATED);
        RuntimeRecord created = outcome.record();
        assertThat(created.handle()).isEqualTo("alice");
        assertThat(created.key()).isEqualTo("busybox");
        assertThat(created.id()).isNotNull();
        assertThat(created.version()).isEqualTo(1);
        assertThat(created.etag()).isEqualTo("\"1\"");
        assertThat(created.validation()).isEqualTo(ImageValidation.UNVALIDATED);
        assertThat(created.createdAt()).isEqualTo(NOW);
        assertThat(created.updatedAt()).isEqualTo(NOW);
        assertThat(created.acceptsRuns()).isFalse();
    }

    @Test
    void anIdenticalDefinitionChangesNothing() {
        RuntimeChange.Outcome outcome = RuntimeChange.decide(
                "alice", "busybox", current, aRuntimeDefinition(), null, null, NOW);

        assertThat(outcome.kind()).isEqualTo(RuntimeChange.Kind.UNCHANGED);
        assertThat(outcome.record()).isSameAs(current);
    }

    @Test
    void theSameSecretsByFingerprintChangeNothingAndOtherSecretsAreAnUpdateThatStoresTheirSealedValue() {
        RuntimeRecord withSecret = new RuntimeRecord(current.handle(), current.key(), current.id(),
                aRuntimeDefinition().withSecrets(List.of("TOKEN"), "k1.fp-a"), 3, VALIDATED, CREATED, CREATED,
                "v1.k1.sealed-a");

        RuntimeChange.Outcome same = RuntimeChange.decide("alice", "busybox", withSecret,
                aRuntimeDefinition().withSecrets(List.of("TOKEN"), "k1.fp-a"), "v1.k1.sealed-again", null, NOW);
        RuntimeChange.Outcome changed = RuntimeChange.decide("alice", "busybox", withSecret,
                aRuntimeDefinition().withSecrets(List.of("TOKEN"), "k1.fp-b"), "v1.k1.sealed-b", null, NOW);

        assertThat(same.kind()).isEqualTo(RuntimeChange.Kind.UNCHANGED);
        assertThat(same.record()).isSameAs(withSecret);
        assertThat(changed.kind()).isEqualTo(RuntimeChange.Kind.UPDATED);
        assertThat(changed.record().version()).isEqualTo(4);
        assertThat(changed.record().sealedSecrets()).isEqualTo("v1.k1.sealed-b");
        assertThat(changed.record().validation()).as("secrets are not the image").isEqualTo(VALIDATED);
    }

    @Test
    void aChangeOutsideTheImageBumpsTheVersionAndKeepsTheValidation() {
        RuntimeDefinition wanted = withMemory(aRuntimeDefinition(), 1024);

        RuntimeChange.Outcome outcome = RuntimeChange.decide("alice", "busybox", current, wanted, null, null, NOW);

        assertThat(outcome.kind()).isEqualTo(RuntimeChange.Kind.UPDATED);
        RuntimeRecord updated = outcome.record();
        assertThat(updated.version()).isEqualTo(4);
        assertThat(updated.definition()).isEqualTo(wanted);
        assertThat(updated.validation()).isEqualTo(VALIDATED);
        assertThat(updated.acceptsRuns()).isTrue();
        assertThat(updated.id()).isEqualTo(current.id());
        assertThat(updated.createdAt()).isEqualTo(CREATED);
        assertThat(updated.updatedAt()).isEqualTo(NOW);
    }

    @Test
    void aNewDigestResetsValidationSoTheRuntimeTakesNoRunsUntilRevalidated() {
        RuntimeChange.Outcome outcome = RuntimeChange.decide(
                "alice", "busybox", current, aRuntimeDefinition(IMAGE_URI, DIGEST_B), null, null, NOW);

        assertThat(outcome.kind()).isEqualTo(RuntimeChange.Kind.UPDATED);
        assertThat(outcome.record().version()).isEqualTo(4);
        assertThat(outcome.record().validation()).isEqualTo(ImageValidation.UNVALIDATED);
        assertThat(outcome.record().acceptsRuns()).isFalse();
    }

    @Test
    void aNewImageUriWithTheSameDigestAlsoResetsValidation() {
        RuntimeChange.Outcome outcome = RuntimeChange.decide(
                "alice", "busybox", current, aRuntimeDefinition("127.0.0.1:5000/coderun/other", DIGEST_A), null, null, NOW);

        assertThat(outcome.record().validation()).isEqualTo(ImageValidation.UNVALIDATED);
    }

    @Test
    void ifMatchNamingTheCurrentVersionAllowsTheUpdate() {
        RuntimeChange.Outcome outcome = RuntimeChange.decide(
                "alice", "busybox", current, withMemory(aRuntimeDefinition(), 64), null, "\"3\"", NOW);

        assertThat(outcome.kind()).isEqualTo(RuntimeChange.Kind.UPDATED);
    }

    @Test
    void ifMatchStarAllowsUpdatingAnExistingRuntime() {
        RuntimeChange.Outcome outcome = RuntimeChange.decide(
                "alice", "busybox", current, withMemory(aRuntimeDefinition(), 64), null, "*", NOW);

        assertThat(outcome.kind()).isEqualTo(RuntimeChange.Kind.UPDATED);
    }

    @ParameterizedTest(name = "If-Match {0}")
    @ValueSource(strings = {"\"2\"", "\"4\"", "3", "W/\"3\"", "\"abc\""})
    void ifMatchNamingAnotherVersionFailsThePrecondition(String ifMatch) {
        assertThatThrownBy(() -> RuntimeChange.decide(
                "alice", "busybox", current, withMemory(aRuntimeDefinition(), 64), null, ifMatch, NOW))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.PRECONDITION_FAILED);
                    assertThat(e.code()).isEqualTo("precondition_failed");
                });
    }

    @Test
    void aStaleIfMatchFailsEvenWhenTheBodyIsIdentical() {
        assertThatThrownBy(() -> RuntimeChange.decide("alice", "busybox", current, aRuntimeDefinition(), null, "\"2\"", NOW))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo("precondition_failed"));
    }

    /** RFC 9110 §13.1.1: If-Match, {@code *} included, is false when there is no current representation. */
    @ParameterizedTest(name = "If-Match {0}")
    @ValueSource(strings = {"\"1\"", "*"})
    void ifMatchOnAnAbsentRuntimeFailsThePreconditionInsteadOfCreating(String ifMatch) {
        assertThatThrownBy(() -> RuntimeChange.decide("alice", "busybox", null, aRuntimeDefinition(), null, ifMatch, NOW))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.PRECONDITION_FAILED);
                    assertThat(e.getMessage()).contains("does not exist");
                });
    }

    private static RuntimeDefinition withMemory(RuntimeDefinition d, int memoryMb) {
        return new RuntimeDefinition(
                d.displayName(), d.description(), d.imageUri(), d.imageDigest(), d.cpuCores(), memoryMb,
                d.pidsLimit(), d.timeoutSeconds(), d.maxTimeoutSeconds(), d.network(), d.readOnlyRootfs(),
                Map.copyOf(d.env()), Map.copyOf(d.labels()), d.maxActiveRuns(), d.enabled(), d.secretNames(),
                d.secretsFingerprint());
    }
}
