package io.isol8.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isol8.bench.Bench.Floor;
import io.isol8.bench.Bench.LoadResult;
import io.isol8.bench.Bench.Options;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;


/** The report of a run: the text table and the {@code --json} document (docs/benchmarks.md). */
final class BenchReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BenchReport() {
    }


    static String table(Options o, LoadResult r, Floor floor, double load) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "isol8 bench  %s %s POST %s  %s%n", o.runtime(), o.mode(), o.route(), o.url()));
        b.append(String.format(Locale.ROOT, "  %d requests, %d in flight%s, %d warm-up, code %s, load average %s%n%n",
                o.requests(), o.concurrency(), o.pauseMs() > 0 ? ", " + o.pauseMs() + " ms pause after each" : "",
                o.warmup(), JSON.valueToTree(o.code()), BenchStats.two(load)));
        b.append(String.format(Locale.ROOT, "%-22s%9s%9s%9s%9s%9s%n", "", "min", "p50", "p95", "p99", "max"));
        b.append(row("latency ms", r.latency()));
        if (o.stream()) {
            b.append(row("first byte ms", r.firstByte()));
        }
        b.append(String.format(Locale.ROOT, "%-22s%s req/s (%d ok in %s s)%n", "throughput",
                BenchStats.ms(r.throughput()), r.ok(), BenchStats.two(r.elapsedNanos() / 1e9)));
        b.append(String.format(Locale.ROOT, "%-22s%s%n", "errors", errors(r.errors())));
        r.errorSamples().forEach((k, v) -> {
            if (!v.isEmpty()) {
                b.append(String.format(Locale.ROOT, "%-22s%s: %s%n", "", k, v));
            }
        });
        if (o.cpu()) {
            b.append(cpuTable(r));
        }
        if (floor != null) {
            BenchFloor.ExecFloor e = floor.exec();
            BenchFloor.CreateRate c = floor.create();
            b.append(String.format(Locale.ROOT, "%nfloor (Engine API, image %s, sandbox hardening)%n", floor.image()));
            b.append(row("exec ms", e.latency()));
            b.append(String.format(Locale.ROOT, "%-22s%d sequential: %s%s%n", "", e.latency().count(),
                    BenchFloor.shellWords(e.command()), e.errors() == 0 ? "" : ", " + e.errors() + " failed: " + e.firstError()));
            if (floor.rate() != null) {
                BenchFloor.ExecRate x = floor.rate();
                b.append(String.format(Locale.ROOT, "%-22s%s execs/s (%d execs, %d in flight, one container each, %d failed)%n",
                        "exec rate", BenchStats.two(x.perSecond()), x.ok(), x.inFlight(), x.errors()));
            }
            b.append(String.format(Locale.ROOT, "%-22s%s containers/s (%d create→start→remove, %d in flight, %d failed)%n",
                    "create rate", BenchStats.two(c.perSecond()), c.ok(), c.inFlight(), c.errors()));
            if (floor.spawn() != null) {
                b.append(row("spawn ms", floor.spawn().latency()));
                b.append(String.format(Locale.ROOT, "%-22s%d sequential, spawned inside a running container%s%n", "",
                        floor.spawn().ok(), floor.spawn().errors() == 0 ? "" : ", " + floor.spawn().errors() + " failed"));
            }
            if (floor.spawnRate() != null) {
                BenchFloor.Spawn x = floor.spawnRate();
                b.append(String.format(Locale.ROOT, "%-22s%s spawns/s (%d spawns, %d in flight, one container, %d failed)%n",
                        "spawn rate", BenchStats.two(x.perSecond()), x.ok(), x.inFlight(), x.errors()));
            }
            b.append(String.format(Locale.ROOT, "%nratios%n"));
            b.append(String.format(Locale.ROOT, "%-36s%8s   %s%n", "server p50 / exec floor p50",
                    BenchStats.two(p50Ratio(r, floor)), o.concurrency() > 1 ? "(the p50 targets are for 1 in flight)"
                            : o.session() ? "target ≤ 1.20 (session)" : "target ≤ 1.30 (ephemeral)"));
            if (floor.rate() != null) {
                b.append(String.format(Locale.ROOT, "%-36s%8s   %s%n", "throughput / exec rate",
                        BenchStats.two(execRateRatio(r, floor)),
                        "(what docker exec itself does here with as many in flight)"));
            }
            if (floor.spawn() != null) {
                b.append(String.format(Locale.ROOT, "%-36s%8s   %s%n", "server p50 / spawn floor p50",
                        BenchStats.two(BenchStats.ratio(r.latency().p50(), floor.spawn().latency().p50())),
                        o.session() && o.concurrency() == 1 ? "target ≤ 2.00 (session, agent executor)" : ""));
            }
            if (floor.spawnRate() != null) {
                b.append(String.format(Locale.ROOT, "%-36s%8s   %s%n", "throughput / spawn rate",
                        BenchStats.two(BenchStats.ratio(r.throughput(), floor.spawnRate().perSecond())),
                        o.session() ? "target ≥ 0.70 (sessions, agent executor)" : ""));
            }
            b.append(String.format(Locale.ROOT, "%-36s%8s   %s%n", "throughput / create rate",
                    BenchStats.two(rateRatio(r, floor)), o.session()
                            ? "(sessions: target ≥ 25 req/s at 10 in flight)"
                            : "target ≥ 0.90 at 10 in flight (ephemeral)"));
        }
        return b.toString();
    }

    static String cpuTable(LoadResult r) {
        if (r.cpuMs().isEmpty()) {
            return String.format(Locale.ROOT, "%ncpu                   not available (needs Linux /proc)%n");
        }
        int cores = java.lang.Runtime.getRuntime().availableProcessors();
        double total = r.cpuMs().get("total");
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "%ncpu ms per request    machine %s%% busy; at this cost %d cores allow at most %s req/s%n",
                BenchStats.ms(r.busyShare() * 100), cores, BenchStats.ms(cores * 1000 / total)));
        r.cpuMs().forEach((k, v) -> b.append(String.format(Locale.ROOT, "  %-28s%9s%n", k, BenchStats.ms(v))));
        return b.toString();
    }

    private static String row(String name, BenchStats.Summary s) {
        return String.format(Locale.ROOT, "%-22s%9s%9s%9s%9s%9s%n", name, BenchStats.ms(s.min()), BenchStats.ms(s.p50()),
                BenchStats.ms(s.p95()), BenchStats.ms(s.p99()), BenchStats.ms(s.max()));
    }

    static String errors(Map<String, Long> errors) {
        if (errors.isEmpty()) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        errors.forEach((k, v) -> parts.add(k + " ×" + v));
        return String.join(", ", parts);
    }

    static double p50Ratio(LoadResult r, Floor floor) {
        return BenchStats.ratio(r.latency().p50(), floor.exec().latency().p50());
    }

    static double execRateRatio(LoadResult r, Floor floor) {
        return BenchStats.ratio(r.throughput(), floor.rate().perSecond());
    }

    static double rateRatio(LoadResult r, Floor floor) {
        return r.ok() == 0 ? Double.NaN : BenchStats.ratio(r.throughput(), floor.create().perSecond());
    }

    static String json(Options o, LoadResult r, Floor floor, double load) {
        ObjectNode root = JSON.createObjectNode();
        root.put("url", o.url().toString());
        root.put("runtime", o.runtime());
        root.put("mode", o.mode());
        root.put("route", o.route());
        root.put("code", o.code());
        root.put("requests", o.requests());
        root.put("concurrency", o.concurrency());
        root.put("warmup", o.warmup());
        root.put("pauseMs", o.pauseMs());
        number(root, "loadAverage", BenchStats.round(load, 2));
        root.put("ok", r.ok());
        root.put("failed", r.failed());
        ObjectNode errors = root.putObject("errors");
        r.errors().forEach(errors::put);
        ObjectNode samples = root.putObject("errorSamples");
        r.errorSamples().forEach(samples::put);
        number(root, "elapsedMs", BenchStats.round(r.elapsedNanos() / 1e6, 1));
        number(root, "throughput", BenchStats.round(r.throughput(), 2));
        summary(root.putObject("latencyMs"), r.latency());
        if (o.cpu()) {
            ObjectNode cpu = root.putObject("cpuMsPerRequest");
            r.cpuMs().forEach((k, v) -> number(cpu, k, BenchStats.round(v, 1)));
            number(root, "busyShare", BenchStats.round(r.busyShare(), 3));
        }
        if (o.stream()) {
            summary(root.putObject("firstByteMs"), r.firstByte());
        }
        if (floor != null) {
            ObjectNode f = root.putObject("floor");
            f.put("image", floor.image());
            ObjectNode exec = f.putObject("exec");
            exec.putPOJO("command", floor.exec().command());
            exec.put("errors", floor.exec().errors());
            summary(exec.putObject("latencyMs"), floor.exec().latency());
            BenchFloor.CreateRate c = floor.create();
            rate(f.putObject("create"), "containers", c.containers(), c.inFlight(), c.ok(), c.errors(),
                    c.elapsedNanos(), c.perSecond());
            if (floor.rate() != null) {
                BenchFloor.ExecRate x = floor.rate();
                rate(f.putObject("execRate"), "execs", x.execs(), x.inFlight(), x.ok(), x.errors(), x.elapsedNanos(),
                        x.perSecond());
            }
            if (floor.spawn() != null) {
                ObjectNode sp = f.putObject("spawn");
                sp.put("errors", floor.spawn().errors());
                summary(sp.putObject("latencyMs"), floor.spawn().latency());
            }
            if (floor.spawnRate() != null) {
                BenchFloor.Spawn x = floor.spawnRate();
                ObjectNode sr = f.putObject("spawnRate");
                sr.put("inFlight", x.inFlight());
                sr.put("ok", x.ok());
                sr.put("errors", x.errors());
                number(sr, "perSecond", BenchStats.round(x.perSecond(), 2));
            }
            ObjectNode ratios = root.putObject("ratios");
            if (floor.spawn() != null) {
                number(ratios, "p50OverSpawnFloorP50",
                        BenchStats.round(BenchStats.ratio(r.latency().p50(), floor.spawn().latency().p50()), 3));
            }
            if (floor.spawnRate() != null) {
                number(ratios, "throughputOverSpawnRate",
                        BenchStats.round(BenchStats.ratio(r.throughput(), floor.spawnRate().perSecond()), 3));
            }
            number(ratios, "p50OverExecFloorP50", BenchStats.round(p50Ratio(r, floor), 3));
            number(ratios, "throughputOverCreateRate", BenchStats.round(rateRatio(r, floor), 3));
            if (floor.rate() != null) {
                number(ratios, "throughputOverExecRate",
                        BenchStats.round(execRateRatio(r, floor), 3));
            }
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void rate(ObjectNode node, String countName, int count, int inFlight, int ok, int errors,
                             long elapsedNanos, double perSecond) {
        node.put(countName, count);
        node.put("inFlight", inFlight);
        node.put("ok", ok);
        node.put("errors", errors);
        number(node, "elapsedMs", BenchStats.round(elapsedNanos / 1e6, 1));
        number(node, "perSecond", BenchStats.round(perSecond, 2));
    }

    private static void summary(ObjectNode node, BenchStats.Summary s) {
        node.put("count", s.count());
        number(node, "min", BenchStats.round(s.min(), 1));
        number(node, "p50", BenchStats.round(s.p50(), 1));
        number(node, "p95", BenchStats.round(s.p95(), 1));
        number(node, "p99", BenchStats.round(s.p99(), 1));
        number(node, "max", BenchStats.round(s.max(), 1));
        number(node, "mean", BenchStats.round(s.mean(), 1));
    }

    private static void number(ObjectNode node, String name, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v) || (v < 0 && name.equals("loadAverage"))) {
            node.putNull(name);
        } else {
            node.put(name, v);
        }
    }
}
