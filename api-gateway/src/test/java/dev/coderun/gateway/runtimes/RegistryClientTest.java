package dev.coderun.gateway.runtimes;

import static dev.coderun.gateway.GatewayFixtures.DIGEST_A;
import static dev.coderun.gateway.GatewayFixtures.DIGEST_B;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
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

    // validate() against a registry on loopback that holds the manifests of one repository, by digest and by tag, as
    // the OCI distribution API serves them; it records the paths asked.

    private HttpServer registry;
    private final List<String> asked = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopRegistry() {
        if (registry != null) {
            registry.stop(0);
        }
    }

    /** Serves {@code coderun/python}: each key of {@code manifests} (a digest or a tag) names a manifest digest. */
    private String registryWith(Map<String, String> manifests) throws IOException {
        registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        registry.createContext("/v2/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            asked.add(exchange.getRequestMethod() + " " + path);
            String prefix = "/v2/coderun/python/manifests/";
            String digest = path.startsWith(prefix) ? manifests.get(path.substring(prefix.length())) : null;
            if (digest != null) {
                exchange.getResponseHeaders().add("Docker-Content-Digest", digest);
            }
            exchange.sendResponseHeaders(digest != null ? 200 : 404, -1);
            exchange.close();
        });
        registry.start();
        return "127.0.0.1:" + registry.getAddress().getPort();
    }

    private ImageValidation validate(String address, String uri, String pinned) {
        RegistryClient live = new RegistryClient(
                new RegistryProperties(List.of(address), Duration.ofSeconds(5), Duration.ofSeconds(5)));
        return live.validate(uri, pinned).block(Duration.ofSeconds(10));
    }

    @Test
    void aUriWithoutATagIsValidatedByItsPinnedDigest() throws IOException {
        String address = registryWith(Map.of(DIGEST_A, DIGEST_A, "3.11", DIGEST_A));

        ImageValidation result = validate(address, address + "/coderun/python", DIGEST_A);

        assertThat(result.status()).isEqualTo(ImageValidation.Status.VALID);
        assertThat(result.actualDigest()).isEqualTo(DIGEST_A);
        assertThat(asked).containsExactly("HEAD /v2/coderun/python/manifests/" + DIGEST_A);
    }

    @Test
    void aTaggedUriWhoseTagMovedOnIsStillValidWhileThePinnedDigestIsThere() throws IOException {
        String address = registryWith(Map.of(DIGEST_A, DIGEST_A, DIGEST_B, DIGEST_B, "3.11", DIGEST_B));

        ImageValidation result = validate(address, address + "/coderun/python:3.11", DIGEST_A);

        assertThat(result.status()).isEqualTo(ImageValidation.Status.VALID);
        assertThat(result.actualDigest()).isEqualTo(DIGEST_A);
    }

    @Test
    void aPinnedDigestTheRepositoryLacksIsAMismatchWithTheDigestTheTagNames() throws IOException {
        String address = registryWith(Map.of(DIGEST_B, DIGEST_B, "3.11", DIGEST_B));

        ImageValidation result = validate(address, address + "/coderun/python:3.11", DIGEST_A);

        assertThat(result.status()).isEqualTo(ImageValidation.Status.FAILED);
        assertThat(result.reason()).isEqualTo("digest_mismatch");
        assertThat(result.expectedDigest()).isEqualTo(DIGEST_A);
        assertThat(result.actualDigest()).isEqualTo(DIGEST_B);
        assertThat(asked).containsExactly(
                "HEAD /v2/coderun/python/manifests/" + DIGEST_A, "HEAD /v2/coderun/python/manifests/3.11");
    }

    @Test
    void aPinnedDigestTheRepositoryLacksIsImageNotFoundWhenTheUriHasNoTagAndNoLatest() throws IOException {
        String address = registryWith(Map.of(DIGEST_B, DIGEST_B, "3.11", DIGEST_B));

        ImageValidation result = validate(address, address + "/coderun/python", DIGEST_A);

        assertThat(result.status()).isEqualTo(ImageValidation.Status.FAILED);
        assertThat(result.reason()).isEqualTo("image_not_found");
        assertThat(asked).containsExactly(
                "HEAD /v2/coderun/python/manifests/" + DIGEST_A, "HEAD /v2/coderun/python/manifests/latest");
    }

    @Test
    void aPinnedDigestTheRepositoryLacksIsADigestMismatchAgainstLatestWhenTheUriHasNoTag() throws IOException {
        String address = registryWith(Map.of(DIGEST_B, DIGEST_B, "latest", DIGEST_B));

        ImageValidation result = validate(address, address + "/coderun/python", DIGEST_A);

        assertThat(result.status()).isEqualTo(ImageValidation.Status.FAILED);
        assertThat(result.reason()).isEqualTo("digest_mismatch");
        assertThat(result.expectedDigest()).isEqualTo(DIGEST_A);
        assertThat(result.actualDigest()).isEqualTo(DIGEST_B);
    }

    @Test
    void anUnknownRepositoryIsImageNotFound() throws IOException {
        String address = registryWith(Map.of(DIGEST_A, DIGEST_A));

        ImageValidation result = validate(address, address + "/coderun/other:1", DIGEST_A);

        assertThat(result.reason()).isEqualTo("image_not_found");
    }

    @Test
    void aRegistryNobodyAnswersIsUnreachable() throws IOException {
        String address = registryWith(Map.of());
        registry.stop(0);
        registry = null;

        ImageValidation result = validate(address, address + "/coderun/python", DIGEST_A);

        assertThat(result.reason()).isEqualTo("registry_unreachable");
    }

    @Test
    void aManifestFoundByDigestWithoutADigestHeaderIsValid() {
        ImageValidation result = client.judgeByDigest(200, null, DIGEST_A);

        assertThat(result.status()).isEqualTo(ImageValidation.Status.VALID);
        assertThat(result.actualDigest()).isEqualTo(DIGEST_A);
    }
}
