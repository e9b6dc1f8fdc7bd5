package dev.coderun.worker;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The stack's local registry (127.0.0.1:5000) and the base images it holds, for *IT tests. */
public final class LocalRegistry {

    public static final String BUSYBOX = "127.0.0.1:5000/coderun/busybox";
    private static volatile String busyboxDigest;

    private LocalRegistry() {}

    /** The manifest digest the registry serves for {@code repository:tag}. */
    public static String digestOf(String repository, String tag) {
        String path = repository.substring(repository.indexOf('/') + 1);
        HttpRequest head = HttpRequest.newBuilder(URI.create("http://127.0.0.1:5000/v2/" + path + "/manifests/" + tag))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .header("Accept", "application/vnd.docker.distribution.manifest.v2+json")
                .timeout(Duration.ofSeconds(10))
                .build();
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<Void> response = http.send(head, HttpResponse.BodyHandlers.discarding());
            return response.headers()
                    .firstValue("Docker-Content-Digest")
                    .orElseThrow(() -> new IllegalStateException(
                            "registry has no " + repository + ":" + tag + " (HTTP " + response.statusCode() + ")"));
        } catch (IOException e) {
            throw new IllegalStateException("the local registry on 127.0.0.1:5000 is not reachable", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A runtime on the busybox image, pinned to the digest the registry serves for {@code latest}. */
    public static TestRuns.RuntimeBuilder busybox() {
        if (busyboxDigest == null) {
            busyboxDigest = digestOf(BUSYBOX, "latest");
        }
        return TestRuns.aRuntime().image(BUSYBOX + ":latest", busyboxDigest);
    }

    /** A run on {@link #busybox()}. */
    public static TestRuns.RunBuilder aBusyboxRun() {
        return TestRuns.aRun().runtime(busybox().build());
    }
}
