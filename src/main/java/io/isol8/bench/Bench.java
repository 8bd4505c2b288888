package io.isol8.bench;

import io.isol8.config.ConfigException;
import io.isol8.config.ConfigLoader;
import io.isol8.config.Isol8Config;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;


/**
 * {@code isol8 bench}: a closed-loop load generator for a running isol8 server. {@code --concurrency}
 * workers (virtual threads) each keep one request in flight until {@code --requests} measured requests
 * have completed. With {@code --floor} it also measures, in the same run and before the load, what Docker
 * itself costs here (see {@link BenchFloor}) and prints the server's numbers as ratios to it.
 *
 * <p>Exit status: 0 every measured request succeeded; 1 bad arguments or the run could not start (server
 * or Docker unreachable, every warm-up request failed); 2 the run completed but some requests failed.
 */
public final class Bench {
    static final List<String> RUNTIMES = List.of("python", "node", "bun", "deno", "bash");
    /** The options that take a value ({@code isol8} parses the command line). */
    public static final Set<String> VALUES = Set.of("--url", "--key", "--runtime", "--requests", "--concurrency", "--code",
            "--warmup", "--pause", "--image", "--floor-execs", "--floor-containers");
    /** The options without a value. */
    public static final Set<String> SWITCHES = Set.of("--session", "--stream", "--floor", "--json", "--cpu");
    static final String USAGE = """
            Usage: isol8 bench [--url URL] [--key KEY] [--runtime R] [--requests N] [--concurrency N] [--warmup N]
                               [--code SRC] [--pause MS] [--session] [--stream] [--cpu] [--json]
                               [--floor [--image IMAGE] [--floor-execs N] [--floor-containers N]]
            """;
    static final int FLOOR_IN_FLIGHT = 10;


    private Bench() {
    }

    /** Rejected arguments: the message is printed as {@code error: <message>}, exit 1. */
    static final class BadArgs extends RuntimeException {
        BadArgs(String message) {
            super(message);
        }
    }

    /** The validated settings of one run. */
    record Options(URI url, String key, String runtime, int requests, int concurrency, int warmup, String code,
                   boolean session, boolean stream, boolean floor, boolean json, String image, int floorExecs,
                   int floorContainers, int pauseMs, boolean cpu) {
        String route() {
            return stream ? "/execute/stream" : "/execute";
        }

        String mode() {
            return session ? "session" : "ephemeral";
        }
    }

    /** Runs the benchmark; the key falls back to {@code ISOL8_API_KEY}. Returns the exit status. */
    public static int run(Map<String, String> values, Set<String> switches, PrintStream out, PrintStream err) {
        return run(values, switches, System.getenv(), out, err);
    }

    /** As above with {@code env} for {@code ISOL8_API_KEY} and the configuration file lookup. */
    public static int run(Map<String, String> values, Set<String> switches, Map<String, String> env, PrintStream out,
                   PrintStream err) {
        Options o;
        try {
            o = parse(values, switches, env);
        } catch (BadArgs e) {
            err.println("error: " + e.getMessage());
            err.print(USAGE);
            return 1;
        }
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        if (load >= 0.6) {
            err.printf(Locale.ROOT, "warning: load average is %.2f; numbers from a busy machine are not comparable"
                    + " (docs/benchmarks.md asks for < 0.6)%n", load);
        }
        Floor floor = null;
        if (o.floor()) {
            BenchFloor f;
            try {
                f = new BenchFloor(config(env), o.image());
            } catch (ConfigException e) {
                err.println("error: " + e.getMessage().replace("\n", "\nerror: "));
                return 1;
            }
            try (f) {
                floor = measureFloor(f, o, err);
            } catch (RuntimeException e) {
                err.println("error: Docker floor measurement failed (" + f.endpoint() + "): "
                        + BenchFloor.describe(e));
                return 1;
            }
        }
        LoadResult result;
        try {
            result = new Load(o, err).run();
        } catch (StartFailure e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        if (o.json()) {
            out.println(json(o, result, floor, load));
        } else {
            out.print(table(o, result, floor, load));
        }
        out.flush();
        return result.failed() == 0 ? 0 : 2;
    }

    static Options parse(Map<String, String> values, Set<String> switches, Map<String, String> env) {
        return BenchArgs.parse(values, switches, env);
    }

    // ---------------------------------------------------------------- floor

    /**
     * {@code rate} and {@code spawnRate} are measured only for runs with more than one request in flight (else
     * null); {@code spawn} is the in-container spawn latency, one at a time.
     */
    record Floor(String image, BenchFloor.ExecFloor exec, BenchFloor.CreateRate create, BenchFloor.ExecRate rate,
                 BenchFloor.Spawn spawn, BenchFloor.Spawn spawnRate) {
    }

    /**
     * The configuration {@code isol8 serve} would read here (config.md §1): its {@code docker.*} names the engine
     * the floor is measured on.
     */
    private static Isol8Config config(Map<String, String> env) {
        Path home = Path.of(env.getOrDefault("HOME", System.getProperty("user.home")));
        return ConfigLoader.load(ConfigLoader.locate(Optional.empty(), env, Path.of("").toAbsolutePath(), home));
    }

    private static Floor measureFloor(BenchFloor f, Options o, PrintStream err) {
        {
            err.printf("floor: %d sequential execs of %s in one hardened %s container%n", o.floorExecs(),
                    BenchFloor.shellWords(BenchFloor.floorCommand(o.runtime())), o.image());
            BenchFloor.ExecFloor exec = f.exec(o.runtime(), o.floorExecs(), Math.max(3, o.warmup()));
            if (exec.latency().count() == 0) {
                throw new IllegalStateException("every floor exec failed: " + exec.firstError());
            }
            err.printf("floor: %d create→start→remove cycles, %d in flight%n", o.floorContainers(),
                    Math.min(FLOOR_IN_FLIGHT, o.floorContainers()));
            BenchFloor.CreateRate create = f.createRate(o.floorContainers(), FLOOR_IN_FLIGHT);
            if (create.ok() == 0) {
                throw new IllegalStateException("every container cycle failed: " + create.firstError());
            }
            err.printf("floor: %d spawns of %s inside one running container, one at a time%n", o.floorExecs(),
                    BenchFloor.shellWords(BenchFloor.floorCommand(o.runtime())));
            BenchFloor.Spawn spawn = f.spawn(o.runtime(), o.floorExecs(), 1, Math.max(3, o.warmup()));
            BenchFloor.ExecRate rate = null;
            BenchFloor.Spawn spawnRate = null;
            if (o.concurrency() > 1) {
                err.printf("floor: %d spawns inside one running container, %d in flight%n", o.floorExecs(),
                        o.concurrency());
                spawnRate = f.spawn(o.runtime(), o.floorExecs(), o.concurrency(), Math.max(3, o.warmup()));
                err.printf("floor: %d execs, %d in flight, one container each%n", o.floorExecs(), o.concurrency());
                rate = f.execRate(o.runtime(), o.floorExecs(), o.concurrency());
                if (rate.ok() == 0) {
                    throw new IllegalStateException("every floor exec failed: " + rate.firstError());
                }
            }
            return new Floor(o.image(), exec, create, rate, spawn, spawnRate);
        }
    }



    record LoadResult(int ok, int failed, long elapsedNanos, BenchStats.Summary latency, BenchStats.Summary firstByte,
                      Map<String, Long> errors, Map<String, String> errorSamples, int warmupFailed,
                      int sessionDeleteFailures, Map<String, Double> cpuMs, double busyShare) {
        double throughput() {
            return BenchStats.perSecond(ok, elapsedNanos);
        }
    }

    static final class StartFailure extends RuntimeException {
        StartFailure(String message) {
            super(message);
        }
    }


    static byte[] body(String runtime, String code, String session) {
        return BenchWire.body(runtime, code, session);
    }

    static String streamEnd(String body) {
        return BenchWire.streamEnd(body);
    }

    static String table(Options o, LoadResult r, Floor floor, double load) {
        return BenchReport.table(o, r, floor, load);
    }

    static String json(Options o, LoadResult r, Floor floor, double load) {
        return BenchReport.json(o, r, floor, load);
    }
}
