package dev.coderun.worker.sandbox;

import com.github.dockerjava.api.DockerClient;
import dev.coderun.events.OutputChunk.OutputStream;
import dev.coderun.events.RunSpec;
import dev.coderun.worker.LocalRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Not a test: {@code infra/scripts/bench-pool.sh} runs it. N sequential {@code echo hi} runs of the busybox runtime
 * through {@link ContainerLauncher}, cold (no pool) and then warm (a pool of one container per key; before each warm run
 * it waits, untimed, until a warm container is ready, so every warm run takes one). Prints p50/p95 of call → process
 * running ({@code started}), call → first output byte, call → end told ({@code ended}: exit code, OOM verdict and all
 * output known; where the worker reports the run) and call → return (the container removed too; where the worker
 * releases the run's slot). With a hosts file as the second argument, the runs get the engine's networking off
 * ({@link HostsFile}), as the worker of {@code bin/coderun} runs them.
 */
public final class PoolBench {

    private static final URI HOST = URI.create("unix:///var/run/docker.sock");
    private static final String WORKER_ID = "pool-bench-" + ProcessHandle.current().pid();

    private PoolBench() {}

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        // A second argument: the hosts file, so runs get a container with the engine's networking off (HostsFile).
        SandboxPolicy policy = new SandboxPolicy("65534:65534", 16L * 1024 * 1024,
                args.length > 1 ? HostsFile.write(Path.of(args[1])) : null);
        try (DockerClient docker = SandboxConfiguration.dockerClient(HOST, 4)) {
            ContainerLauncher cold = new ContainerLauncher(docker, HOST, WORKER_ID, Duration.ofMinutes(1));
            cold.removeOrphans();
            RunSpec sample = LocalRegistry.aBusyboxRun().command("echo hi").build();
            cold.run(policy.containerFor(sample, WORKER_ID), new Timing(System.nanoTime()));

            List<Timing> coldRuns = new ArrayList<>();
            long coldCpu = otherCpuMillis();
            for (int i = 0; i < runs; i++) {
                coldRuns.add(time(cold, policy, null, null));
            }
            coldCpu = otherCpuMillis() - coldCpu;
            List<Timing> warmRuns = new ArrayList<>();
            long warmCpu = otherCpuMillis();
            try (WarmPool pool = new WarmPool(docker, 1, 1, Duration.ofMinutes(5), Clock.systemUTC(), 2)) {
                ContainerLauncher warm = new ContainerLauncher(docker, HOST, WORKER_ID, Duration.ofMinutes(1), pool);
                PoolKey key = PoolKey.of(policy.containerFor(sample, WORKER_ID));
                pool.demanded(key);
                for (int i = 0; i < runs; i++) {
                    warmRuns.add(time(warm, policy, pool, key));
                }
                warmCpu = otherCpuMillis() - warmCpu;
            }
            System.out.printf("ContainerLauncher, busybox `echo hi`, %d sequential runs each (ms)%n", runs);
            System.out.printf("%-6s %22s %22s %22s %22s%n", "", "call -> running", "call -> first byte",
                    "call -> end told", "call -> return");
            print("cold", coldRuns);
            print("warm", warmRuns);
            System.out.printf("engine CPU per run (see otherCpuMillis): cold %d ms, warm %d ms"
                    + " (a warm run's share includes creating the container that replaces it)%n",
                    coldCpu / runs, warmCpu / runs);
            cold.removeOrphans();
        }
    }

    /**
     * CPU time in ms the engine spent: the cpuacct cgroup {@code coderun-engine} when it exists (dockerd and
     * containerd moved into it, so the shims and runc they start are counted too, and nothing else), else the whole
     * machine's busy time minus this process's (from /proc; 0 where there is none).
     */
    private static long otherCpuMillis() {
        try {
            Path engine = Path.of("/sys/fs/cgroup/cpuacct/coderun-engine/cpuacct.usage");
            if (Files.exists(engine)) {
                return Long.parseLong(Files.readString(engine).strip()) / 1_000_000;
            }
            String[] total = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long busy = 0;
            for (int i = 1; i < total.length; i++) {
                if (i <= 3 || i == 6 || i == 7) { // user, nice, system, irq, softirq
                    busy += Long.parseLong(total[i]);
                }
            }
            String self = Files.readString(Path.of("/proc/self/stat"));
            String[] fields = self.substring(self.lastIndexOf(')') + 2).split(" ");
            long own = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
            return (busy - own) * 10; // USER_HZ is 100
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static Timing time(ContainerLauncher launcher, SandboxPolicy policy, WarmPool pool, PoolKey key)
            throws Exception {
        if (pool != null) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (pool.readyCounts().getOrDefault(key, 0) == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no warm container within 30 s");
                }
                TimeUnit.MILLISECONDS.sleep(5);
            }
        }
        ContainerSpec spec = policy.containerFor(LocalRegistry.aBusyboxRun().command("echo hi").build(), WORKER_ID);
        Timing timing = new Timing(System.nanoTime());
        ContainerExit exit = launcher.run(spec, timing);
        timing.returned = System.nanoTime();
        if (exit.exitCode() == null || exit.exitCode() != 0) {
            throw new IllegalStateException("echo hi exited " + exit);
        }
        return timing;
    }

    private static void print(String name, List<Timing> timings) {
        System.out.printf("%-6s %22s %22s %22s %22s%n", name,
                percentiles(timings.stream().mapToLong(t -> t.started - t.called).toArray()),
                percentiles(timings.stream().mapToLong(t -> t.firstByte - t.called).toArray()),
                percentiles(timings.stream().mapToLong(t -> t.ended - t.called).toArray()),
                percentiles(timings.stream().mapToLong(t -> t.returned - t.called).toArray()));
    }

    private static String percentiles(long[] nanos) {
        long[] sorted = nanos.clone();
        java.util.Arrays.sort(sorted);
        return String.format("p50 %4d  p95 %4d", ms(sorted[(int) Math.ceil(0.5 * sorted.length) - 1]),
                ms(sorted[(int) Math.ceil(0.95 * sorted.length) - 1]));
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static final class Timing implements ContainerObserver {
        final long called;
        volatile long started;
        volatile long firstByte;
        volatile long ended;
        volatile long returned;

        Timing(long called) {
            this.called = called;
        }

        @Override
        public void started() {
            started = System.nanoTime();
        }

        @Override
        public synchronized void output(OutputStream stream, byte[] bytes) {
            if (firstByte == 0) {
                firstByte = System.nanoTime();
            }
        }

        @Override
        public void ended(ContainerExit exit) {
            ended = System.nanoTime();
        }
    }
}
