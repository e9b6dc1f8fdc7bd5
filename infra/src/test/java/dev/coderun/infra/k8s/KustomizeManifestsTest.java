package dev.coderun.infra.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Renders each overlay of {@code infra/k8s} with {@code kubectl kustomize} (the real renderer; CI installs kubectl)
 * and checks the objects a cluster would receive: every workload present with probes, resources and a pinned image,
 * disruption budgets that select pods, the worker's grace period above its drain and its sandbox directory on the
 * node, references that resolve.
 */
class KustomizeManifestsTest {

    private static final Path K8S = Path.of("k8s");

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void overlayRendersACompleteDeployment(String overlay) throws Exception {
        List<Map<String, Object>> objects = render(overlay);
        String namespace = overlay.equals("prod") ? "coderun" : "coderun-dev";

        Map<String, Object> gateway = find(objects, "Deployment", "coderun-gateway");
        Map<String, Object> scheduler = find(objects, "StatefulSet", "coderun-scheduler");
        Map<String, Object> worker = find(objects, "DaemonSet", "coderun-worker");
        Map<String, Object> topics = find(objects, "Job", "coderun-topics");
        find(objects, "Service", "coderun-gateway");
        find(objects, "Service", "coderun-scheduler");
        find(objects, "Namespace", namespace);
        Map<String, Object> config = objects.stream()
                .filter(o -> o.get("kind").equals("ConfigMap") && name(o).startsWith("coderun-config-"))
                .findFirst().orElseThrow(() -> new AssertionError("no coderun-config ConfigMap"));
        assertThat(map(config, "data")).containsKeys("KAFKA_BOOTSTRAP_SERVERS", "CODERUN_DB_HOST",
                "CODERUN_DB_PORT", "CODERUN_DB_NAME", "CODERUN_TOPIC_REPLICATION_FACTOR");

        for (Map<String, Object> o : objects) {
            if (!o.get("kind").equals("Namespace")) {
                assertThat(map(o, "metadata").get("namespace")).as(describe(o)).isEqualTo(namespace);
            }
        }
        for (Map<String, Object> workload : List.of(gateway, scheduler, worker, topics)) {
            for (Map<String, Object> c : containers(workload)) {
                String image = (String) c.get("image");
                String tag = image.substring(image.lastIndexOf(':') + 1);
                assertThat(image).as(describe(workload)).contains("/coderun/").matches(".*:[^/]+$");
                assertThat(tag).as(describe(workload) + " image tag").isNotEqualTo("latest");
                Map<String, Object> resources = map(c, "resources");
                assertThat(map(resources, "requests")).as(describe(workload)).containsKeys("cpu", "memory");
                assertThat(map(resources, "limits")).as(describe(workload)).containsKey("memory");
                for (Object from : list(c, "envFrom")) {
                    assertThat(map(asMap(from), "configMapRef").get("name")).isEqualTo(name(config));
                }
                for (Object e : list(c, "env")) {
                    Map<String, Object> valueFrom = asMap(asMap(e).get("valueFrom"));
                    if (valueFrom != null && valueFrom.get("secretKeyRef") != null) {
                        String secret = (String) map(valueFrom, "secretKeyRef").get("name");
                        if (overlay.equals("dev")) {
                            assertThat(objects).as("Secret " + secret).anyMatch(
                                    o -> o.get("kind").equals("Secret") && name(o).equals(secret));
                        } else {
                            assertThat(secret).as("prod reads the Secret made out of band")
                                    .isEqualTo("coderun-secrets");
                        }
                    }
                }
            }
        }
        if (overlay.equals("prod")) {
            assertThat(objects).as("no Secret is rendered for prod").noneMatch(o -> o.get("kind").equals("Secret"));
        }

        checkProbes(gateway, "CODERUN_GATEWAY_PORT");
        checkProbes(scheduler, "CODERUN_SCHEDULER_MANAGEMENT_PORT");
        checkProbes(worker, "CODERUN_WORKER_MANAGEMENT_PORT");

        for (String workload : List.of("coderun-gateway", "coderun-scheduler", "coderun-worker")) {
            Map<String, Object> pdb = find(objects, "PodDisruptionBudget", workload);
            Map<String, Object> owner = objects.stream()
                    .filter(o -> List.of("Deployment", "StatefulSet", "DaemonSet").contains(o.get("kind"))
                            && name(o).equals(workload))
                    .findFirst().orElseThrow();
            Map<String, Object> podLabels = map(map(map(owner, "spec"), "template"), "metadata");
            assertThat(map(podLabels, "labels")).as("PDB " + workload + " selects its pods")
                    .containsAllEntriesOf(map(map(map(pdb, "spec"), "selector"), "matchLabels"));
        }

        // The worker: the engine's socket, a stable id, and a grace period above its own drain.
        Map<String, Object> workerPod = podSpec(worker);
        Map<String, Object> workerContainer = containers(worker).getFirst();
        assertThat(list(workerPod, "volumes")).anyMatch(v -> asMap(v).get("hostPath") != null
                && map(asMap(v), "hostPath").get("path").equals("/var/run/docker.sock"));
        assertThat(env(workerContainer, "CODERUN_WORKER_ID")).isNull();
        assertThat(list(workerContainer, "env")).anyMatch(e -> asMap(e).get("name").equals("CODERUN_WORKER_ID")
                && map(map(asMap(e), "valueFrom"), "fieldRef").get("fieldPath").equals("spec.nodeName"));
        Duration shutdownGrace = Duration.ofSeconds(
                Long.parseLong(env(workerContainer, "CODERUN_WORKER_DISPATCH_SHUTDOWNGRACE").replace("s", "")));
        assertThat(((Number) workerPod.get("terminationGracePeriodSeconds")).longValue())
                .as("pod grace > worker shutdown-grace + time to kill, report and drain the pool")
                .isGreaterThanOrEqualTo(shutdownGrace.toSeconds() + 20);
        // The hosts file of runs without a network: written by the worker, bound by the node's engine, so its
        // directory is the same hostPath at the same path in the pod, handed to the worker's uid before it starts.
        String hostsFile = env(workerContainer, "CODERUN_WORKER_SANDBOX_HOSTSFILE");
        assertThat(hostsFile).as("the worker's hosts file").isNotNull();
        String sandboxDir = Path.of(hostsFile).getParent().toString();
        Map<String, Object> sandbox = volumeAt(worker, workerContainer, sandboxDir);
        assertThat(map(sandbox, "hostPath").get("path")).as("the engine sees the file at the worker's path")
                .isEqualTo(sandboxDir);
        assertThat(initContainers(worker)).singleElement().satisfies(init -> {
            assertThat(volumeAt(worker, init, sandboxDir)).isEqualTo(sandbox);
            assertThat(String.join(" ", list(init, "command").stream().map(String::valueOf).toList()))
                    .contains("chown 10001:10001 " + sandboxDir);
            Map<String, Object> security = map(init, "securityContext");
            assertThat(security.get("allowPrivilegeEscalation")).isEqualTo(false);
            assertThat(map(security, "capabilities")).containsEntry("drop", List.of("ALL"))
                    .containsEntry("add", List.of("CHOWN"));
        });
        assertThat(map(podSpec(worker), "securityContext")).containsEntry("runAsUser", 10001);
        assertThat(workerContainer.get("securityContext")).as("the worker itself keeps the pod's uid")
                .satisfies(sc -> assertThat(asMap(sc)).doesNotContainKey("runAsUser"));
        assertThat(Integer.parseInt(env(workerContainer, "CODERUN_WORKER_SLOTS")))
                .isEqualTo(overlay.equals("dev") ? 2 : 4);

        // The scheduler: spread over nodes, its state on a volume, replicas per overlay.
        Map<String, Object> schedulerSpec = map(scheduler, "spec");
        assertThat(schedulerSpec.get("replicas")).isEqualTo(overlay.equals("dev") ? 1 : 3);
        assertThat(list(podSpec(scheduler), "topologySpreadConstraints"))
                .anyMatch(t -> asMap(t).get("topologyKey").equals("kubernetes.io/hostname"));
        assertThat(list(schedulerSpec, "volumeClaimTemplates")).hasSize(1);
        assertThat(map(gateway, "spec").get("replicas")).isEqualTo(overlay.equals("dev") ? 1 : 3);
        for (Map<String, Object> workload : List.of(gateway, scheduler, worker)) {
            assertThat(podSpec(workload).get("terminationGracePeriodSeconds")).as(describe(workload)).isNotNull();
        }
    }

    /** Readiness and liveness on the container's declared port, which is the port the service is told to use. */
    private static void checkProbes(Map<String, Object> workload, String portVariable) {
        Map<String, Object> c = containers(workload).getFirst();
        Map<String, Object> port = asMap(list(c, "ports").getFirst());
        assertThat(env(c, portVariable)).as(describe(workload) + " " + portVariable)
                .isEqualTo(String.valueOf(port.get("containerPort")));
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
            Map<String, Object> http = map(map(c, probe), "httpGet");
            assertThat(http.get("port")).as(describe(workload) + " " + probe).isEqualTo(port.get("name"));
            assertThat(http.get("path")).as(describe(workload) + " " + probe).isEqualTo(
                    probe.equals("readinessProbe") ? "/actuator/health/readiness" : "/actuator/health/liveness");
        }
    }

    private static List<Map<String, Object>> render(String overlay) throws IOException, InterruptedException {
        Path out = Files.createTempFile("kustomize-" + overlay, ".yaml");
        try {
            Process p = new ProcessBuilder("kubectl", "kustomize", K8S.resolve("overlays").resolve(overlay).toString())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kubectl kustomize finished").isTrue();
            String rendered = Files.readString(out, StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as("kubectl kustomize " + overlay + ":\n" + rendered).isZero();
            List<Map<String, Object>> objects = new ArrayList<>();
            for (Object doc : new Yaml(new LoaderOptions()).loadAll(rendered)) {
                if (doc != null) {
                    objects.add(asMap(doc));
                }
            }
            return objects;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static Map<String, Object> find(List<Map<String, Object>> objects, String kind, String name) {
        return objects.stream().filter(o -> o.get("kind").equals(kind) && name(o).equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in the rendered overlay"));
    }

    private static Map<String, Object> podSpec(Map<String, Object> workload) {
        return map(map(map(workload, "spec"), "template"), "spec");
    }

    /** The pod's containers, then its init containers. */
    private static List<Map<String, Object>> containers(Map<String, Object> workload) {
        return Stream.concat(maps(podSpec(workload), "containers").stream(), initContainers(workload).stream()).toList();
    }

    private static List<Map<String, Object>> initContainers(Map<String, Object> workload) {
        return maps(podSpec(workload), "initContainers");
    }

    /** The volume mounted at {@code mountPath} in {@code container}, from the pod's volumes. */
    private static Map<String, Object> volumeAt(Map<String, Object> workload, Map<String, Object> container,
            String mountPath) {
        String volume = maps(container, "volumeMounts").stream()
                .filter(m -> m.get("mountPath").equals(mountPath)).map(m -> (String) m.get("name")).findFirst()
                .orElseThrow(() -> new AssertionError(container.get("name") + " mounts nothing at " + mountPath));
        return maps(podSpec(workload), "volumes").stream()
                .filter(v -> v.get("name").equals(volume)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + volume));
    }

    private static String env(Map<String, Object> container, String name) {
        return maps(container, "env").stream()
                .filter(e -> e.get("name").equals(name)).map(e -> (String) e.get("value"))
                .filter(Objects::nonNull).findFirst().orElse(null);
    }

    private static String name(Map<String, Object> o) {
        return (String) map(o, "metadata").get("name");
    }

    private static String describe(Map<String, Object> o) {
        return o.get("kind") + " " + name(o);
    }

    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        Map<String, Object> child = asMap(parent.get(key));
        assertThat(child).as(key).isNotNull();
        return child;
    }

    private static List<Object> list(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        if (value == null) {
            return List.of();
        }
        @SuppressWarnings("unchecked")
        List<Object> list = (List<Object>) value;
        return list;
    }

    /** {@link #list} of objects, each as a map. */
    private static List<Map<String, Object>> maps(Map<String, Object> parent, String key) {
        return list(parent, key).stream().map(KustomizeManifestsTest::asMap).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value) {
        return (Map<String, Object>) value;
    }
}
