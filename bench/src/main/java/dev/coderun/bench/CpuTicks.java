package dev.coderun.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time at one moment: the machine's busy time (every process, the kernel's interrupt work included) and each named
 * process's user + system time, from {@code /proc} in clock ticks (USER_HZ, 100 per second on Linux); and the
 * container engine's, in nanoseconds, from the cpuacct cgroup {@link #ENGINE} when {@code bin/coderun bench} could put
 * dockerd and containerd in it (every shim and runc they start then counts too; the containers' own processes move to
 * cgroups of their own). Two samples give the CPU a phase cost; what cannot be read counts -1.
 */
record CpuTicks(long machine, Map<String, Long> processes, long engineNanos) {

    static final double MS_PER_TICK = 10.0;

    static final Path ENGINE = Path.of("/sys/fs/cgroup/cpuacct/coderun-engine");

    static CpuTicks now(Map<String, Long> pids) {
        Map<String, Long> processes = new LinkedHashMap<>();
        pids.forEach((name, pid) -> processes.put(name, processTicks(pid)));
        return new CpuTicks(machineTicks(), processes, readEngine());
    }

    /**
     * Milliseconds of CPU per run from {@code before} to this sample: the machine's, each process's, then the
     * engine's ({@code engine}, only when it was read both times).
     */
    Map<String, Double> perRunSince(CpuTicks before, int runs) {
        Map<String, Double> perRun = new LinkedHashMap<>();
        perRun.put("machine", (machine - before.machine) * MS_PER_TICK / runs);
        if (engineNanos >= 0 && before.engineNanos >= 0) {
            perRun.put("engine", (engineNanos - before.engineNanos) / 1e6 / runs);
        }
        processes.forEach((name, ticks) -> {
            Long earlier = before.processes.get(name);
            perRun.put(name, ticks < 0 || earlier == null || earlier < 0
                    ? -1 : (ticks - earlier) * MS_PER_TICK / runs);
        });
        return perRun;
    }

    /** user + nice + system + irq + softirq + steal of the first line of /proc/stat. */
    private static long machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                    + Long.parseLong(f[7]) + Long.parseLong(f[8]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The engine cgroup's CPU time; -1 without one holding a process (its processes were never moved there). */
    private static long readEngine() {
        try {
            if (Files.readString(ENGINE.resolve("cgroup.procs")).isBlank()) {
                return -1;
            }
            return Long.parseLong(Files.readString(ENGINE.resolve("cpuacct.usage")).strip());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** utime + stime of /proc/PID/stat (fields 14 and 15; the command name before them may hold spaces). */
    private static long processTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
