package dev.coderun.gateway.runtimes;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Checks a runtime's pinned image against its registry with the OCI distribution API. The pinned digest decides: the
 * manifest is looked up by it ({@code HEAD /v2/<repo>/manifests/<digest>}), so a uri with no tag validates as well as
 * one with a tag, and a tag that has moved on since the digest was pinned does not fail an image that is still there.
 * Only when the repository lacks the digest is the uri's tag looked up ({@code latest} when the uri names none, as
 * Docker reads such a uri), to report the digest it now names as a {@code digest_mismatch}; without that tag either,
 * the image is not found. Never fails: every outcome is an {@link ImageValidation}.
 */
@Component
class RegistryClient {

    private static final String ACCEPT = String.join(", ",
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.docker.distribution.manifest.v2+json");

    /** The tag a uri without one stands for. */
    static final String IMPLIED_TAG = "latest";

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
        return head(ref, pinnedDigest)
                .flatMap(byDigest -> byDigest.status() == 404
                        ? head(ref, ref.tag() == null ? IMPLIED_TAG : ref.tag()).map(byTag -> judge(byTag.status(), byTag.digest(), pinnedDigest))
                        : Mono.just(judgeByDigest(byDigest.status(), byDigest.digest(), pinnedDigest)))
                .onErrorResume(e -> Mono.just(failed("registry_unreachable", pinnedDigest, null)));
    }

    /** The registry's answer to a manifest HEAD: its status and the {@code Docker-Content-Digest} it named. */
    private record Answer(int status, String digest) {}

    private Mono<Answer> head(ImageReference ref, String tagOrDigest) {
        String scheme = properties.insecureRegistries().contains(ref.registry()) ? "http" : "https";
        URI manifest = URI.create(
                scheme + "://" + ref.registry() + "/v2/" + ref.repository() + "/manifests/" + tagOrDigest);
        HttpRequest request = HttpRequest.newBuilder(manifest)
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Accept", ACCEPT)
                .timeout(properties.timeout())
                .build();
        return Mono.fromFuture(() -> http.sendAsync(request, HttpResponse.BodyHandlers.discarding()))
                .map(response -> new Answer(
                        response.statusCode(), response.headers().firstValue("Docker-Content-Digest").orElse(null)));
    }

    /**
     * The verdict on a lookup by the pinned digest. A manifest found by its digest is that digest's content (the
     * registry addresses it by content), so a missing {@code Docker-Content-Digest} header still means VALID.
     */
    ImageValidation judgeByDigest(int status, String actualDigest, String pinnedDigest) {
        if (status == 200) {
            return judge(200, actualDigest == null ? pinnedDigest : actualDigest, pinnedDigest);
        }
        return judge(status, actualDigest, pinnedDigest);
    }

    /** The verdict on a lookup by tag: the digest the tag names must be the pinned one. */
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
