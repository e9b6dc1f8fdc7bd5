package dev.coderun.gateway.runtimes;

import static dev.coderun.gateway.GatewayFixtures.DIGEST_A;
import static dev.coderun.gateway.GatewayFixtures.DIGEST_B;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RegistryClientTest {

    private final RegistryClient client = new RegistryClient(
            new RegistryProperties(List.of("127.0.0.1:5000"), Duration.ofSeconds(1), Duration.ofSeconds(1)));

    @Test
    void theSameDigestIsValid() {
        ImageValidation result = client.judge(200, DIGEST_A, DIGEST_A);

        assertThat(result.status()).isEqualTo(ImageValidation.Status.VALID);
        assertThat(result.reason()).isNull();
        assertThat(result.expectedDigest()).isEqualTo(DIGEST_A);
        assertThat(result.actualDigest()).isEqualTo(DIGEST_A);
        assertThat(result.checkedAt()).isNotNull();
    }

    @Test
    void anotherDigestIsAMismatchNamingBoth() {
        ImageValidation result = client.judge(200, DIGEST_B, DIGEST_A);

        assertThat(result.status()).isEqualTo(ImageValidation.Status.FAILED);
        assertThat(result.reason()).isEqualTo("digest_mismatch");
        assertThat(result.expectedDigest()).isEqualTo(DIGEST_A);
        assertThat(result.actualDigest()).isEqualTo(DIGEST_B);
        assertThat(result.checkedAt()).isNotNull();
    }

    @Test
    void aMissingManifestIsImageNotFound() {
        ImageValidation result = client.judge(404, null, DIGEST_A);

        assertThat(result.status()).isEqualTo(ImageValidation.Status.FAILED);
        assertThat(result.reason()).isEqualTo("image_not_found");
        assertThat(result.expectedDigest()).isEqualTo(DIGEST_A);
        assertThat(result.actualDigest()).isNull();
    }

    @ParameterizedTest(name = "HTTP {0} with digest {1}")
    @CsvSource(nullValues = "null", value = {
        "500, null",
        "503, " + "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "401, null",
        "403, null",
        "200, null",
        "302, null",
    })
    void anyOtherAnswerIsRegistryUnreachable(int status, String digest) {
        ImageValidation result = client.judge(status, digest, DIGEST_A);

        assertThat(result.status()).isEqualTo(ImageValidation.Status.FAILED);
        assertThat(result.reason()).isEqualTo("registry_unreachable");
        assertThat(result.expectedDigest()).isEqualTo(DIGEST_A);
        assertThat(result.actualDigest()).isNull();
    }
}
