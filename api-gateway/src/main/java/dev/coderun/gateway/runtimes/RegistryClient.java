package dev.coderun.gateway.runtimes;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Resolves an image uri to its manifest digest with the OCI distribution API ({@code HEAD /v2/<repo>/manifests/<tag>})
 * and judges it against the pinned digest. Never fails: every outcome is an {@link ImageValidation}.
 */
@Component
class RegistryClient {

    private static final String ACCEPT = String.join(", ",
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v2+json");

    private final RegistryProperties properties;
    private final Clock clock;
    private final HttpClient http;

    RegistryClient(RegistryProperties properties) {
        this.properties = properties;
        this.clock = Clock.systemUTC();
        this.http = HttpClient.newBuilder().connectTimeout(properties.timeout()).build();
    }

    Mono<ImageValidation> validate(String uri, String pinnedDigest) {
        ImageReference ref = ImageReference.parse(uri);
        String scheme = properties.insecureRegistries().contains(ref.registry()) ? "http" : "https";
        URI manifest = URI.create(
                scheme + "://" + ref.registry() + "/v2/" + ref.repository() + "/manifests/" + ref.tag());
        HttpRequest request = HttpRequest.newBuilder(manifest)
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Accept", ACCEPT)
                .timeout(properties.timeout())
                .build();
        return Mono.fromFuture(() -> http.sendAsync(request, HttpResponse.BodyHandlers.discarding()))
                .map(response -> judge(response.statusCode(),
                        response.headers().firstValue("Docker-Content-Digest").orElse(null), pinnedDigest))
                .onErrorResume(e -> Mono.just(failed("registry_unreachable", pinnedDigest, null)));
    }

    ImageValidation judge(int status, String actualDigest, String pinnedDigest) {
        if (status == 404) {
            return failed("image_not_found", pinnedDigest, null);
        }
        if (status != 200 || actualDigest == null) {
            return failed("registry_unreachable", pinnedDigest, null);
        }
        if (!actualDigest.equals(pinnedDigest)) {
            return failed("digest_mismatch", pinnedDigest, actualDigest);
        }
        return new ImageValidation(ImageValidation.Status.VALID, null, pinnedDigest, actualDigest, clock.instant());
    }

    private ImageValidation failed(String reason, String expected, String actual) {
        return new ImageValidation(ImageValidation.Status.FAILED, reason, expected, actual, clock.instant());
    }
}
