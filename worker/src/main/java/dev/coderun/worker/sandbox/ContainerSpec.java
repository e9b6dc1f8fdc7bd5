package dev.coderun.worker.sandbox;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything the Docker engine is told about one run's container, decided by {@link SandboxPolicy} from the run alone.
 * {@link #toString()} leaves out env values and stdin: they may hold secrets.
 *
 * @param image {@code repository@sha256:…}, never a tag
 * @param entrypoint always set, so the image's own entrypoint never runs in front of the command
 * @param cmd the entrypoint's arguments
 * @param env {@code KEY=value} entries, sorted by key
 * @param workingDir null for the image's default
 * @param user {@code uid:gid}, never root
 * @param memoryBytes memory limit; swap is limited to the same value, so the container cannot swap
 * @param nanoCpus CPU limit in billionths of a CPU
 * @param networkMode {@code none} or {@code bridge}
 * @param hostsFile with {@code none} only: the engine host's file bound read-only on {@code /etc/hosts}, and the
 *     container is created with the engine's networking off (the OCI runtime's own network namespace, loopback only;
 *     {@link HostsFile}); null for the engine's network of {@code networkMode}
 * @param tmpfs mount point to tmpfs mount options
 * @param stdin fed to the process and then closed; empty means the process reads EOF at once
 * @param timeout how long the process may run before it is killed
 */
public record ContainerSpec(
        String image,
        List<String> entrypoint,
        List<String> cmd,
        List<String> env,
        String workingDir,
        String user,
        Map<String, String> labels,
        long memoryBytes,
        long nanoCpus,
        long pidsLimit,
        String networkMode,
        String hostsFile,
        boolean readOnlyRootfs,
        Map<String, String> tmpfs,
        List<String> capDrop,
        List<String> securityOpts,
        String stdin,
        Duration timeout) {

    public ContainerSpec {
        if (hostsFile != null && !networkMode.equals("none")) {
            throw new IllegalArgumentException("a hosts file replaces only the none network, not " + networkMode);
        }
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        env = List.copyOf(env);
        labels = Map.copyOf(labels);
        tmpfs = Map.copyOf(tmpfs);
        capDrop = List.copyOf(capDrop);
        securityOpts = List.copyOf(securityOpts);
    }

    public boolean hasStdin() {
        return !stdin.isEmpty();
    }

    @Override
    public String toString() {
        return "ContainerSpec[image=" + image + ", entrypoint=" + entrypoint + ", envKeys="
                + env.stream().map(e -> e.substring(0, e.indexOf('='))).toList() + ", workingDir=" + workingDir
                + ", user=" + user + ", labels=" + labels + ", memoryBytes=" + memoryBytes + ", nanoCpus=" + nanoCpus
                + ", pidsLimit=" + pidsLimit + ", networkMode=" + networkMode + ", hostsFile=" + hostsFile
                + ", readOnlyRootfs=" + readOnlyRootfs
                + ", tmpfs=" + tmpfs + ", capDrop=" + capDrop + ", securityOpts=" + securityOpts + ", stdinBytes="
                + stdin.length() + ", timeout=" + timeout + "]";
    }
}
