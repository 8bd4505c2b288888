package io.isol8.bench;

import io.isol8.config.Isol8Config;
import io.isol8.engine.docker.FloorProbe;

import java.util.ArrayList;
import java.util.List;

/**
 * The Docker floor of {@code isol8 bench --floor}: what the Engine API itself costs on the configured engine,
 * measured by {@link FloorProbe} with containers hardened exactly like a sandbox, summarised here so the
 * server's numbers can be read as a ratio to it. {@link #close()} removes whatever this run created.
 */
final class BenchFloor implements AutoCloseable {
    private final FloorProbe probe;

    /** Sequential exec latency in one warm container. */
    record ExecFloor(List<String> command, BenchStats.Summary latency, int errors, String firstError) {
    }

    /** Throughput of the floor command run in warm containers, {@code inFlight} at a time (one container each). */
    record ExecRate(int execs, int inFlight, int ok, int errors, long elapsedNanos, double perSecond,
                    String firstError) {
    }

    /** Throughput of create → start → force-remove cycles. */
    record CreateRate(int containers, int inFlight, int ok, int errors, long elapsedNanos, double perSecond,
                      BenchStats.Summary cycle, String firstError) {
    }

    /** Programs spawned inside one running container, {@code inFlight} at a time. */
    record Spawn(int inFlight, int ok, int errors, double perSecond, BenchStats.Summary latency, String firstError) {
    }

    /** @param config the configuration whose {@code docker.*} names the engine */
    BenchFloor(Isol8Config config, String image) {
        this.probe = new FloorProbe(config, image);
    }

    /** The Docker endpoint in use (for messages). */
    String endpoint() {
        return probe.endpoint();
    }

    /** The runtime's equivalent of {@code python3 -c 'print(1)'}; each prints {@value FloorProbe#EXPECTED_STDOUT}. */
    static List<String> floorCommand(String runtime) {
        return switch (runtime) {
            case "python" -> List.of("python3", "-c", "print(1)");
            case "node" -> List.of("node", "-e", "console.log(1)");
            case "bun" -> List.of("bun", "-e", "console.log(1)");
            case "deno" -> List.of("deno", "eval", "console.log(1)");
            case "bash" -> List.of("bash", "-c", "echo 1");
            default -> throw new IllegalArgumentException("unknown runtime " + runtime);
        };
    }

    /** {@code samples} sequential execs of the floor command in one container, after {@code warmup} unmeasured. */
    ExecFloor exec(String runtime, int samples, int warmup) {
        List<String> cmd = floorCommand(runtime);
        FloorProbe.Samples s = probe.exec(cmd, samples, warmup);
        return new ExecFloor(cmd, BenchStats.ofNanos(s.nanos()), s.errors(), s.firstError());
    }

    /** {@code execs} execs of the floor command, {@code inFlight} at a time, one warm container each. */
    ExecRate execRate(String runtime, int execs, int inFlight) {
        FloorProbe.Rate r = probe.execRate(floorCommand(runtime), execs, inFlight);
        return new ExecRate(execs, r.inFlight(), r.ok(), r.errors(), r.elapsedNanos(),
                BenchStats.perSecond(r.ok(), r.elapsedNanos()), r.firstError());
    }

    /** {@code containers} create → start → force-remove cycles, {@code inFlight} at a time. */
    CreateRate createRate(int containers, int inFlight) {
        FloorProbe.Rate r = probe.createRate(containers, inFlight);
        return new CreateRate(containers, r.inFlight(), r.ok(), r.errors(), r.elapsedNanos(),
                BenchStats.perSecond(r.ok(), r.elapsedNanos()), BenchStats.ofNanos(r.cycleNanos()), r.firstError());
    }

    /** The in-container spawn floor of the runtime's floor command: {@code samples} spawns, {@code inFlight} at once. */
    Spawn spawn(String runtime, int samples, int inFlight, int warmup) {
        FloorProbe.Rate r = probe.spawn(floorCommand(runtime), samples, inFlight, warmup);
        return new Spawn(r.inFlight(), r.ok(), r.errors(), BenchStats.perSecond(r.ok(), r.elapsedNanos()),
                BenchStats.ofNanos(r.cycleNanos()), r.firstError());
    }

    @Override
    public void close() {
        probe.close();
    }

    /** The command as a shell would need it typed: {@code python3 -c 'print(1)'}. */
    static String shellWords(List<String> cmd) {
        List<String> words = new ArrayList<>();
        for (String w : cmd) {
            words.add(w.matches("[A-Za-z0-9_./:=@%+-]+") ? w : "'" + w.replace("'", "'\\''") + "'");
        }
        return String.join(" ", words);
    }

    static String describe(Throwable e) {
        return FloorProbe.describe(e);
    }
}
