package io.isol8.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code isol8 bench --cpu}: where the machine's CPU time went during the measured phase, read from Linux's
 * {@code /proc} and the Docker cgroup before and after it. Each share is the process's own user + system time
 * (not its reaped children), except "containers", which is the CPU accounting of Docker's parent cgroup and
 * so includes every container process, also of containers removed in the meantime. "runc, shims, kernel,
 * other" is the machine's busy time minus all the named shares.
 */
final class BenchCpu {
    /** Linux reports process times in USER_HZ clock ticks, which is 100 per second on every common build. */
    static final double TICK_MS = 10.0;
    static final List<String> GROUPS = List.of("containers", "runc, shims, kernel, other", "dockerd", "containerd",
            "isol8 server", "bench client");

    private static final Path PROC = Path.of("/proc");
    private static final List<Path> DOCKER_CGROUP = List.of(
            Path.of("/sys/fs/cgroup/cpuacct/docker/cpuacct.usage"),
            Path.of("/sys/fs/cgroup/cpu,cpuacct/docker/cpuacct.usage"),
            Path.of("/sys/fs/cgroup/docker/cpu.stat"));

    private BenchCpu() {
    }

    /** CPU milliseconds: the machine's busy and idle time, and the named shares of the busy time. */
    record Sample(double busyMs, double idleMs, Map<String, Double> shares) {
    }

    /** A reading of the counters, or null where {@code /proc} is not Linux's. */
    static Sample sample() {
        try {
            String[] cpu = Files.readAllLines(PROC.resolve("stat")).getFirst().trim().split("\\s+");
            double idle = 0;
            double busy = 0;
            for (int i = 1; i < cpu.length && i <= 8; i++) {
                double ms = Long.parseLong(cpu[i]) * TICK_MS;
                if (i == 4 || i == 5) {
                    idle += ms; // idle, iowait
                } else {
                    busy += ms; // user, nice, system, irq, softirq, steal
                }
            }
            Map<String, Double> shares = new LinkedHashMap<>();
            shares.put("containers", containersMs());
            long self = ProcessHandle.current().pid();
            double dockerd = 0;
            double containerd = 0;
            double server = 0;
            double bench = 0;
            try (Stream<Path> pids = Files.list(PROC)) {
                for (Path p : (Iterable<Path>) pids::iterator) {
                    String name = p.getFileName().toString();
                    if (!name.chars().allMatch(Character::isDigit)) {
                        continue;
                    }
                    ProcessTime t = processTime(p);
                    if (t == null) {
                        continue;
                    }
                    if (Long.parseLong(name) == self) {
                        bench += t.ms;
                    } else if (t.comm.equals("dockerd")) {
                        dockerd += t.ms;
                    } else if (t.comm.equals("containerd")) {
                        containerd += t.ms;
                    } else if (t.comm.equals("java") && isServer(p)) {
                        server += t.ms;
                    }
                }
            }
            shares.put("dockerd", dockerd);
            shares.put("containerd", containerd);
            shares.put("isol8 server", server);
            shares.put("bench client", bench);
            return new Sample(busy, idle, shares);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** CPU milliseconds per completed request between two samples, by group; empty if a sample is missing. */
    static Map<String, Double> perRequest(Sample before, Sample after, int requests) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (before == null || after == null || requests <= 0) {
            return out;
        }
        double named = 0;
        Map<String, Double> deltas = new LinkedHashMap<>();
        for (String g : after.shares().keySet()) {
            double d = after.shares().get(g) - before.shares().getOrDefault(g, 0.0);
            deltas.put(g, d);
            named += d;
        }
        double busy = after.busyMs() - before.busyMs();
        for (String g : GROUPS) {
            double d = g.equals("runc, shims, kernel, other") ? Math.max(0, busy - named) : deltas.getOrDefault(g, 0.0);
            out.put(g, d / requests);
        }
        out.put("total", busy / requests);
        return out;
    }

    /** Busy share of the machine between two samples, 0–1. */
    static double busyShare(Sample before, Sample after) {
        double busy = after.busyMs() - before.busyMs();
        double all = busy + after.idleMs() - before.idleMs();
        return all <= 0 ? Double.NaN : busy / all;
    }

    private record ProcessTime(String comm, double ms) {
    }

    /** Own user + system time of a process ({@code /proc/PID/stat} fields 14 and 15). */
    private static ProcessTime processTime(Path pid) {
        try {
            String stat = Files.readString(pid.resolve("stat"), StandardCharsets.US_ASCII);
            int open = stat.indexOf('(');
            int close = stat.lastIndexOf(')');
            String[] f = stat.substring(close + 2).split(" ");
            // f[0] is field 3 (state): utime is field 14, stime field 15
            return new ProcessTime(stat.substring(open + 1, close), (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_MS);
        } catch (IOException | RuntimeException e) {
            return null; // the process ended meanwhile
        }
    }

    private static boolean isServer(Path pid) {
        try {
            String cmd = new String(Files.readAllBytes(pid.resolve("cmdline")), StandardCharsets.UTF_8);
            return cmd.contains("io.isol8.cli.Main\0serve");
        } catch (IOException e) {
            return false;
        }
    }

    /** Total CPU time of Docker's parent cgroup (cgroup v1 cpuacct in ns, or v2 cpu.stat in µs). */
    private static double containersMs() throws IOException {
        for (Path p : DOCKER_CGROUP) {
            if (!Files.isReadable(p)) {
                continue;
            }
            String text = Files.readString(p).trim();
            if (p.getFileName().toString().equals("cpu.stat")) {
                for (String line : text.split("\n")) {
                    if (line.startsWith("usage_usec ")) {
                        return Long.parseLong(line.substring(11).trim()) / 1e3;
                    }
                }
                continue;
            }
            return Long.parseLong(text) / 1e6;
        }
        return 0;
    }
}
