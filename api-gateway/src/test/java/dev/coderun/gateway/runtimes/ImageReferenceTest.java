package dev.coderun.gateway.runtimes;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageReferenceTest {

    @ParameterizedTest(name = "{0} -> {1} / {2} : {3}")
    @CsvSource(nullValues = "none", value = {
        // The first component is a registry only with a dot, a port, or as localhost; no tag is none, not latest.
        "127.0.0.1:5000/coderun/busybox:1.37,  127.0.0.1:5000,       coderun/busybox,      1.37",
        "127.0.0.1:5000/coderun/busybox,       127.0.0.1:5000,       coderun/busybox,      none",
        "localhost:5000/app:dev,               localhost:5000,       app,                  dev",
        "localhost/app,                        localhost,            app,                  none",
        "ghcr.io/org/team/sub/app:v1.2,        ghcr.io,              org/team/sub/app,     v1.2",
        "registry.example.com/app,             registry.example.com, app,                  none",
        // Docker Hub: no registry component; single names live under library/.
        "busybox,                              registry-1.docker.io, library/busybox,      none",
        "busybox:1.37-musl,                    registry-1.docker.io, library/busybox,      1.37-musl",
        "bitnami/redis:7.2,                    registry-1.docker.io, bitnami/redis,        7.2",
        "org/team/app,                         registry-1.docker.io, org/team/app,         none",
    })
    void splitsAUriTheWayDockerReadsIt(String uri, String registry, String repository, String tag) {
        assertThat(ImageReference.parse(uri)).isEqualTo(new ImageReference(registry, repository, tag));
    }
}
