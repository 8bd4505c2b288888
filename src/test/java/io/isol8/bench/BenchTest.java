package io.isol8.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchTest {
    private static final Map<String, String> NO_ENV = Map.of();

    // ------------------------------------------------------------ percentile and summary math

    @Test
    void nearestRankPercentiles() {
        double[] hundred = new double[100];
        for (int i = 0; i < 100; i++) {
            hundred[i] = i + 1; // 1 … 100
        }
        assertEquals(50, BenchStats.percentile(hundred, 50));
        assertEquals(95, BenchStats.percentile(hundred, 95));
        assertEquals(99, BenchStats.percentile(hundred, 99));
        assertEquals(100, BenchStats.percentile(hundred, 100));
        assertEquals(1, BenchStats.percentile(hundred, 0.1));
    }

    @Test
    void percentilesOfSmallSets() {
        assertEquals(7, BenchStats.percentile(new double[] {7}, 50));
        assertEquals(7, BenchStats.percentile(new double[] {7}, 99));
        // even count: the lower middle value (rank ceil(0.5 * 4) = 2)
        assertEquals(2, BenchStats.percentile(new double[] {1, 2, 3, 4}, 50));
        assertEquals(4, BenchStats.percentile(new double[] {1, 2, 3, 4}, 95));
        assertEquals(2, BenchStats.percentile(new double[] {1, 2, 3}, 50));
    }

    @Test
    void percentileRejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> BenchStats.percentile(new double[0], 50));
        assertThrows(IllegalArgumentException.class, () -> BenchStats.percentile(new double[] {1}, 0));
        assertThrows(IllegalArgumentException.class, () -> BenchStats.percentile(new double[] {1}, 101));
    }

    @Test
    void summarySortsAndConvertsNanos() {
        long[] nanos = {30_000_000L, 10_000_000L, 20_000_000L, 40_000_000L, 50_250_000L};
        BenchStats.Summary s = BenchStats.ofNanos(nanos);
        assertEquals(5, s.count());
        assertEquals(10.0, s.min(), 1e-9);
        assertEquals(30.0, s.p50(), 1e-9);
        assertEquals(50.25, s.p95(), 1e-9);
        assertEquals(50.25, s.p99(), 1e-9);
        assertEquals(50.25, s.max(), 1e-9);
        assertEquals(30.05, s.mean(), 1e-9);
        assertEquals(30_000_000L, nanos[0], "input is not reordered");
    }

    @Test
    void emptySummaryIsUnknown() {
        BenchStats.Summary s = BenchStats.ofNanos(new long[0]);
        assertEquals(0, s.count());
        assertTrue(Double.isNaN(s.p50()));
        assertEquals("-", BenchStats.ms(s.p50()));
    }

    @Test
    void ratesRatiosAndFormatting() {
        assertEquals(20.0, BenchStats.perSecond(200, 10_000_000_000L), 1e-9);
        assertEquals(0.0, BenchStats.perSecond(0, 10));
        assertEquals(0.0, BenchStats.perSecond(5, 0));
        assertEquals(1.25, BenchStats.ratio(62.5, 50), 1e-9);
        assertTrue(Double.isNaN(BenchStats.ratio(1, 0)));
        assertTrue(Double.isNaN(BenchStats.ratio(Double.NaN, 2)));
        assertEquals("48.9", BenchStats.ms(48.94));
        assertEquals("49.0", BenchStats.ms(48.95));
        assertEquals("1234.0", BenchStats.ms(1234));
        assertEquals("1.07", BenchStats.two(1.0749));
        assertEquals(1.235, BenchStats.round(1.23456, 3), 1e-12);
    }

    // ------------------------------------------------------------ cpu profile

    @Test
    void cpuPerRequestSplitsTheBusyTime() {
        var before = new BenchCpu.Sample(1000, 500, Map.of("containers", 100.0, "dockerd", 10.0, "containerd", 20.0,
                "isol8 server", 30.0, "bench client", 40.0));
        var after = new BenchCpu.Sample(3000, 1500, Map.of("containers", 1100.0, "dockerd", 110.0, "containerd", 120.0,
                "isol8 server", 330.0, "bench client", 240.0));
        Map<String, Double> perRequest = BenchCpu.perRequest(before, after, 10);
        assertEquals(List.of("containers", "runc, shims, kernel, other", "dockerd", "containerd", "isol8 server",
                "bench client", "total"), List.copyOf(perRequest.keySet()));
        assertEquals(100.0, perRequest.get("containers"));
        assertEquals(10.0, perRequest.get("dockerd"));
        assertEquals(30.0, perRequest.get("isol8 server"));
        assertEquals(200.0, perRequest.get("total"));
        assertEquals(200.0 - 100 - 10 - 10 - 30 - 20, perRequest.get("runc, shims, kernel, other"), 1e-9);
        assertEquals(2.0 / 3, BenchCpu.busyShare(before, after), 1e-9);
        assertTrue(BenchCpu.perRequest(null, after, 10).isEmpty());
    }

    @Test
    void cpuSampleOfThisMachine() {
        // The CPU profile reads Linux /proc; the server and its tests run on Linux only, so no /proc/stat is a failure.
        assertTrue(java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc/stat")), "/proc/stat is not readable");
        BenchCpu.Sample s = BenchCpu.sample();
        assertTrue(s.busyMs() > 0 && s.idleMs() >= 0, s.toString());
        assertTrue(s.shares().get("bench client") > 0, "this JVM has used CPU: " + s);
    }

    // ------------------------------------------------------------ arguments

    @Test
    void defaults() {
        Bench.Options o = Bench.parse(Map.of("--key", "k"), Set.of(), NO_ENV);
        assertEquals("http://127.0.0.1:3000", o.url().toString());
        assertEquals("python", o.runtime());
        assertEquals(200, o.requests());
        assertEquals(1, o.concurrency());
        assertEquals(5, o.warmup());
        assertEquals("print(1)", o.code());
        assertEquals("isol8:python", o.image());
        assertEquals(200, o.floorExecs());
        assertEquals(30, o.floorContainers());
        assertEquals("/execute", o.route());
        assertEquals("ephemeral", o.mode());
        assertEquals(0, o.pauseMs());
        assertFalse(o.cpu());
    }

    @Test
    void everyOption() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("--url", "http://localhost:3999/");
        values.put("--key", "benchkey");
        values.put("--runtime", "deno");
        values.put("--requests", "50");
        values.put("--concurrency", "10");
        values.put("--warmup", "0");
        values.put("--image", "my:deno");
        values.put("--floor-execs", "20");
        values.put("--floor-containers", "12");
        values.put("--pause", "250");
        Bench.Options o = Bench.parse(values, Set.of("--session", "--stream", "--floor", "--json", "--cpu"), NO_ENV);
        assertEquals(250, o.pauseMs());
        assertTrue(o.cpu());
        assertEquals("http://localhost:3999", o.url().toString());
        assertEquals("console.log(1)", o.code());
        assertEquals("my:deno", o.image());
        assertEquals(10, o.concurrency());
        assertEquals(0, o.warmup());
        assertTrue(o.session() && o.stream() && o.floor() && o.json());
        assertEquals("/execute/stream", o.route());
        assertEquals("session", o.mode());
        assertEquals("echo 1", Bench.parse(Map.of("--key", "k", "--runtime", "bash"), Set.of(), NO_ENV).code());
    }

    @Test
    void keyFromEnvironment() {
        assertEquals("envkey", Bench.parse(Map.of(), Set.of(), Map.of("ISOL8_API_KEY", "envkey")).key());
        assertEquals("flag", Bench.parse(Map.of("--key", "flag"), Set.of(), Map.of("ISOL8_API_KEY", "envkey")).key());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--requests|abc|--requests must be a whole number from 1 to 10000000, got \"abc\"",
            "--requests|0|--requests must be a whole number from 1 to 10000000, got \"0\"",
            "--requests|-5|--requests must be a whole number from 1 to 10000000, got \"-5\"",
            "--requests|1.5|--requests must be a whole number from 1 to 10000000, got \"1.5\"",
            "--requests|99999999999999999999|--requests must be a whole number from 1 to 10000000",
            "--concurrency|0|--concurrency must be a whole number from 1 to 1000, got \"0\"",
            "--concurrency|1001|--concurrency must be a whole number from 1 to 1000",
            "--warmup|-1|--warmup must be a whole number from 0 to 1000000",
            "--warmup|x|--warmup must be a whole number from 0 to 1000000",
            "--floor-execs|0|--floor-execs must be a whole number from 1",
            "--floor-containers|ten|--floor-containers must be a whole number from 1",
            "--runtime|cobol|--runtime must be one of python, node, bun, deno, bash, got \"cobol\"",
            "--url|localhost:3000|--url must look like http://HOST:PORT, got \"localhost:3000\"",
            "--url|ftp://h:1|--url must look like http://HOST:PORT",
            "--url|http://h:1/execute|--url must look like http://HOST:PORT",
            "--code|'   '|--code must not be blank",
            "--image|''|--image must not be blank",
            "--bogus|1|Unknown argument: --bogus",
    })
    void badArgumentsExitOneWithAMessage(String name, String value, String message) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("--key", "k");
        values.put(name, value);
        Run r = run(values, Set.of());
        assertEquals(1, r.code);
        assertThat(r.err, containsString("error: " + message));
        assertThat(r.err, containsString("Usage: isol8 bench"));
        assertEquals("", r.out);
    }

    @Test
    void missingKeyAndUnknownSwitch() {
        Run r = run(Map.of(), Set.of());
        assertEquals(1, r.code);
        assertThat(r.err, containsString("error: --key is required (or set ISOL8_API_KEY)"));
        r = run(Map.of("--key", "k"), Set.of("--fast"));
        assertEquals(1, r.code);
        assertThat(r.err, containsString("error: Unknown argument: --fast"));
    }

    @Test
    void unreachableServerExitsOne() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Run r = run(Map.of("--key", "k", "--url", "http://127.0.0.1:" + port, "--requests", "3", "--warmup", "1"),
                Set.of());
        assertEquals(1, r.code);
        assertThat(r.err, containsString("every warm-up request to http://127.0.0.1:" + port + "/execute failed: io"));
        assertEquals("", r.out);
    }

    // ------------------------------------------------------------ wire helpers and output

    @Test
    void requestBody() throws Exception {
        JsonNode n = new ObjectMapper().readTree(Bench.body("python", "print(\"é\")\n", null));
        assertEquals("{\"request\":{\"runtime\":\"python\",\"code\":\"print(\\\"é\\\")\\n\"}}", n.toString());
        String withSession = new String(Bench.body("bash", "echo 1", "s-1"), StandardCharsets.UTF_8);
        assertEquals("{\"request\":{\"runtime\":\"bash\",\"code\":\"echo 1\"},\"sessionId\":\"s-1\"}", withSession);
    }

    @Test
    void streamEnd() {
        assertNull(Bench.streamEnd("data: {\"type\":\"stdout\",\"data\":\"1\\n\",\"phase\":\"code\"}\n\n"
                + ": ping\n\n"
                + "data: {\"type\":\"exit\",\"data\":\"0\",\"phase\":\"code\"}\n\n"));
        assertEquals("exit 3", Bench.streamEnd("data: {\"type\":\"exit\",\"data\":\"3\",\"phase\":\"code\"}\n\n"));
        assertEquals("exit 137", Bench.streamEnd("data: {\"type\":\"error\",\"data\":\"EXECUTION TIMED OUT\",\"phase\":\"code\"}\n\n"
                + "data: {\"type\":\"exit\",\"data\":\"137\",\"phase\":\"code\"}\n\n"));
        assertEquals("stream error", Bench.streamEnd("data: {\"type\":\"error\",\"data\":\"Docker gone\"}\n\n"));
        assertEquals("no exit", Bench.streamEnd(""));
        assertEquals("no exit", Bench.streamEnd("data: {\"type\":\"exit\",\"data\":\"0\",\"phase\":\"setup\"}\n\n"));
    }

    @Test
    void floorCommands() {
        assertEquals("python3 -c 'print(1)'", BenchFloor.shellWords(BenchFloor.floorCommand("python")));
        assertEquals("node -e 'console.log(1)'", BenchFloor.shellWords(BenchFloor.floorCommand("node")));
        assertEquals("bun -e 'console.log(1)'", BenchFloor.shellWords(BenchFloor.floorCommand("bun")));
        assertEquals("deno eval 'console.log(1)'", BenchFloor.shellWords(BenchFloor.floorCommand("deno")));
        assertEquals("bash -c 'echo 1'", BenchFloor.shellWords(BenchFloor.floorCommand("bash")));
        assertEquals("echo 'it'\\''s'", BenchFloor.shellWords(List.of("echo", "it's")));
        for (String r : Bench.RUNTIMES) {
            assertEquals(3, BenchFloor.floorCommand(r).size());
        }
    }

    @Test
    void tableAndJson() throws Exception {
        Bench.Options o = Bench.parse(Map.of("--key", "k", "--requests", "4", "--pause", "300"),
                Set.of("--floor", "--cpu"), NO_ENV);
        Map<String, Long> errors = new TreeMap<>(Map.of("429", 2L));
        Map<String, Double> cpu = new java.util.LinkedHashMap<>();
        cpu.put("containers", 70.0);
        cpu.put("isol8 server", 12.5);
        cpu.put("total", 100.0);
        Bench.LoadResult r = new Bench.LoadResult(4, 2, 2_000_000_000L,
                BenchStats.of(new double[] {50, 52, 55, 60}), BenchStats.Summary.EMPTY, errors,
                Map.of("429", "{\"error\":\"Server busy\"}"), 0, 0, cpu, 0.5);
        Bench.Floor floor = new Bench.Floor("isol8:python",
                new BenchFloor.ExecFloor(List.of("python3", "-c", "print(1)"), BenchStats.of(new double[] {40, 40, 41}), 0, null),
                new BenchFloor.CreateRate(30, 10, 30, 0, 4_000_000_000L, 7.5, BenchStats.of(new double[] {1000}), null),
                null, new BenchFloor.Spawn(1, 3, 0, 100.0, BenchStats.of(new double[] {10, 10, 11}), null), null);
        String table = Bench.table(o, r, floor, 0.3);
        assertThat(table, containsString("latency ms                 50.0     52.0     60.0     60.0     60.0"));
        assertThat(table, containsString("2.0 req/s (4 ok in 2.00 s)"));
        assertThat(table, containsString("429 ×2"));
        assertThat(table, containsString("7.50 containers/s"));
        assertThat(table, containsString("server p50 / exec floor p50             1.30"));
        assertThat(table, containsString("server p50 / spawn floor p50            5.20"));
        assertThat(table, containsString("throughput / create rate                0.27"));
        assertThat(table, not(containsString("first byte")));
        assertThat(table, containsString("3 sequential: python3 -c 'print(1)'"));
        assertThat(table, containsString("4 requests, 1 in flight, 300 ms pause after each"));
        assertThat(table, containsString("machine 50.0% busy"));
        assertThat(table, containsString("  isol8 server                     12.5"));

        JsonNode j = new ObjectMapper().readTree(Bench.json(o, r, floor, 0.3));
        assertEquals(52.0, j.path("latencyMs").path("p50").asDouble());
        assertEquals(2, j.path("errors").path("429").asInt());
        assertEquals(2.0, j.path("throughput").asDouble());
        assertEquals(1.3, j.path("ratios").path("p50OverExecFloorP50").asDouble(), 1e-9);
        assertEquals(0.267, j.path("ratios").path("throughputOverCreateRate").asDouble(), 1e-9);
        assertThat(j.has("firstByteMs"), is(false));
        assertTrue(j.path("floor").path("exec").path("command").isArray());
        assertEquals(300, j.path("pauseMs").asInt());
        assertEquals(70.0, j.path("cpuMsPerRequest").path("containers").asDouble());
        assertEquals(0.5, j.path("busyShare").asDouble());
    }

    @Test
    void execRateOfTheFloorForRunsInParallel() throws Exception {
        Bench.Options o = Bench.parse(Map.of("--key", "k", "--concurrency", "10"), Set.of("--floor", "--session"), NO_ENV);
        Bench.LoadResult r = new Bench.LoadResult(100, 0, 5_000_000_000L, BenchStats.of(new double[] {300}),
                BenchStats.Summary.EMPTY, Map.of(), Map.of(), 0, 0, Map.of(), Double.NaN);
        Bench.Floor floor = new Bench.Floor("isol8:python",
                new BenchFloor.ExecFloor(List.of("python3", "-c", "print(1)"), BenchStats.of(new double[] {90}), 0, null),
                new BenchFloor.CreateRate(30, 10, 30, 0, 4_000_000_000L, 7.5, BenchStats.of(new double[] {1000}), null),
                new BenchFloor.ExecRate(200, 10, 200, 0, 8_000_000_000L, 25.0, null), null,
                new BenchFloor.Spawn(10, 200, 0, 40.0, BenchStats.of(new double[] {25}), null));
        String table = Bench.table(o, r, floor, 0.3);
        assertThat(table, containsString("exec rate             25.00 execs/s (200 execs, 10 in flight, one container each, 0 failed)"));
        assertThat(table, containsString("spawn rate            40.00 spawns/s (200 spawns, 10 in flight, one container, 0 failed)"));
        assertThat(table, containsString("throughput / spawn rate                 0.50"));
        assertThat(table, containsString("throughput / exec rate                  0.80"));
        JsonNode j = new ObjectMapper().readTree(Bench.json(o, r, floor, 0.3));
        assertEquals(25.0, j.path("floor").path("execRate").path("perSecond").asDouble());
        assertEquals(0.8, j.path("ratios").path("throughputOverExecRate").asDouble(), 1e-9);
        assertEquals(0.5, j.path("ratios").path("throughputOverSpawnRate").asDouble(), 1e-9);
    }

    private record Run(int code, String out, String err) {
    }

    private static Run run(Map<String, String> values, Set<String> switches) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Bench.run(values, switches, NO_ENV, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
