package io.isol8.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.isol8.config.Isol8Config;
import io.isol8.core.Language;
import io.isol8.testing.Await;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Programs that attack the sandbox or the server, over the real Docker engine. Each one must end as a
 * result (never an HTTP error), the server must keep answering {@code GET /health} within 1 s while it
 * runs, and the next request must work.
 */
@org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
abstract class HostileProgramsDockerTest {
    /** The executor this copy of the suite runs against. */
    abstract Isol8Config.Executor executor();

    private static final long HEALTH_LIMIT_MS = 1000;
    private static final AtomicLong MAX_HEALTH_NANOS = new AtomicLong();
    private static final AtomicInteger HEALTH_POLLS = new AtomicInteger();

    private DockerServer server;

    @BeforeAll
    void start() throws Exception {
        Isol8Config c = Isol8Config.builtIn();
        server = DockerServer.start(new Isol8Config(c.port(), "", c.maxConcurrent(), c.maxQueued(), c.queueTimeoutMs(),
                c.defaults(), c.limits(), c.cleanup(), new Isol8Config.Pool(true, Map.of(Language.PYTHON, 1, Language.BASH, 1)),
                c.images(), c.docker(), c.auth(), c.source(), new Isol8Config.Engine(executor())));
        warmUp();
    }

    /** First requests pay for class loading and JIT; the attacks should measure the server, not its warm-up. */
    private void warmUp() {
        try {
            HttpClient client = HttpClient.newHttpClient();
            for (int i = 0; i < 20; i++) {
                client.send(HttpRequest.newBuilder(server.uri.resolve("/health")).build(), HttpResponse.BodyHandlers.discarding());
            }
            server.execute(DockerServer.body("bash", "echo warm", "", ""));
        } catch (Exception e) {
            throw new IllegalStateException("warm-up failed", e);
        }
    }

    @AfterAll
    void stop() throws Exception {
        if (server != null) {
            System.out.printf("max GET /health latency during attacks: %d ms over %d polls%n",
                    TimeUnit.NANOSECONDS.toMillis(MAX_HEALTH_NANOS.get()), HEALTH_POLLS.get());
            server.close();
        }
    }

    // ---------------------------------------------------------------- process and CPU exhaustion

    /**
     * The classic bomb backgrounds itself, so the script's own process exits 0 at once; the bomb then
     * hits {@code pidsLimit} (bash reports failed forks) until the container is removed after the answer.
     */
    @Test
    void bashForkBombEndsAsAResultAndItsContainerIsRemoved() throws Exception {
        long start = System.nanoTime();
        JsonNode r = underAttack(() -> server.execute(DockerServer.body("bash", ":(){ :|:& };:", "\"timeoutMs\":3000", "")));
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(elapsedMs < 3000 + 3000, "answered after " + elapsedMs + " ms");
        if (executor() == Isol8Config.Executor.EXEC) {
            // docker exec keeps the stream open while the bomb's processes hold it (sandbox.md §7)
            assertTrue(r.get("stderr").asText().contains("fork: retry: Resource temporarily unavailable"), shorten(r));
        }
        // the agent answers once the first bash has ended (descendants get 100 ms to flush), then the container goes
        assertFalse(r.get("oomKilled").asBoolean(), shorten(r));
        assertContainerRemoved(r.get("containerId").asText());
    }

    @Test
    void killingEveryProcessEndsTheRunAsAResult() throws Exception {
        if (executor() == Isol8Config.Executor.EXEC) {
            // tini's keeper dies too and the container stops: a 503 that says so (the agent survives, see below)
            HttpResponse<String> r = server.post("/execute", DockerServer.body("bash", "kill -9 -1", "", ""));
            assertEquals(503, r.statusCode(), r.body());
            assertTrue(r.body().contains("container stopped"), r.body());
            return;
        }
        // the program is the agent's child: kill(-1) spares the caller and PID 1, and ends everything else
        long start = System.nanoTime();
        JsonNode r = underAttack(() -> server.execute(DockerServer.body("bash",
                "echo before; sleep 30 & kill -9 -1; wait $!; echo \"after $?\"", "\"timeoutMs\":3000", "")));
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals("before\nafter 137", r.get("stdout").asText(), shorten(r));
        assertEquals(0, r.get("exitCode").asInt(), shorten(r));
        assertTrue(elapsedMs < 3000 + 1000, "answered after " + elapsedMs + " ms");
    }

    @Test
    void stoppingPid1EndsTheRunWithinItsDeadline() throws Exception {
        long start = System.nanoTime();
        JsonNode r = underAttack(() -> server.execute(DockerServer.body("bash",
                "kill -STOP 1; echo stopped-rc=$?", "\"timeoutMs\":3000", "")));
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(elapsedMs < 3000 + 1000, "answered after " + elapsedMs + " ms");
        assertTrue(r.get("stdout").asText().startsWith("stopped-rc="), shorten(r));
    }

    @Test
    void pythonForkBombTimesOutAndItsContainerIsRemoved() throws Exception {
        JsonNode r = underAttack(() -> server.execute(DockerServer.body("python", """
                import os
                while True:
                    try:
                        os.fork()
                    except OSError:
                        pass
                """, "\"timeoutMs\":3000", "")));
        assertTrue(r.get("timedOut").asBoolean(), shorten(r));
        assertEquals(137, r.get("exitCode").asInt(), shorten(r));
        assertEquals("\n--- EXECUTION TIMED OUT ---", r.get("stderr").asText());
        assertContainerRemoved(r.get("containerId").asText());
    }

    @Test
    void busyLoopIsKilledAtTheDeadline() throws Exception {
        long start = System.nanoTime();
        JsonNode r = underAttack(() -> server.execute(DockerServer.body("bash", "while :; do :; done", "\"timeoutMs\":2000", "")));
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(r.get("timedOut").asBoolean(), r.toString());
        assertEquals(137, r.get("exitCode").asInt());
        assertEquals("", r.get("stdout").asText());
        assertEquals("\n--- EXECUTION TIMED OUT ---", r.get("stderr").asText());
        assertTrue(elapsedMs < 2000 + 3000, "answered after " + elapsedMs + " ms");
    }

    // ---------------------------------------------------------------- memory and output

    @Test
    void nodeMemoryBombIsReportedAsOom() throws Exception {
        JsonNode r = underAttack(() -> server.execute(DockerServer.body("node", """
                const keep = [];
                while (true) keep.push(Buffer.alloc(16 * 1024 * 1024, 1));
                """, "\"timeoutMs\":20000", "\"options\":{\"memoryLimit\":\"128m\"}")));
        assertEquals(137, r.get("exitCode").asInt(), r.toString());
        assertTrue(r.get("oomKilled").asBoolean(), r.toString());
        assertFalse(r.get("timedOut").asBoolean(), r.toString());
        assertTrue(r.get("stderr").asText().endsWith("\n--- MEMORY LIMIT EXCEEDED ---"), r.toString());
    }

    @Test
    void endlessOutputIsCappedAndTheServerHeapStaysBounded() throws Exception {
        long before = usedHeapAfterGc();
        JsonNode r = underAttack(() -> server.execute(DockerServer.body("python", "while True: print('x' * 1000)",
                "\"timeoutMs\":3000", "")));
        long after = usedHeapAfterGc();
        System.out.printf("server heap around the output flood: before %d MB, after %d MB, growth %d MB%n",
                before >> 20, after >> 20, (after - before) >> 20);
        assertTrue(r.get("timedOut").asBoolean(), shorten(r));
        assertEquals(137, r.get("exitCode").asInt());
        assertTrue(r.get("truncated").asBoolean(), shorten(r));
        assertTrue(r.get("stdoutTruncated").asBoolean(), shorten(r));
        assertFalse(r.get("stderrTruncated").asBoolean(), shorten(r));
        String out = r.get("stdout").asText();
        String marker = out.substring(out.lastIndexOf("\n\n--- OUTPUT TRUNCATED (") + 2);
        assertTrue(marker.matches("--- OUTPUT TRUNCATED \\(\\d+ bytes, limit: 1048576\\) ---"), marker);
        long total = Long.parseLong(marker.replaceAll("\\D*(\\d+) bytes.*", "$1"));
        assertTrue(total > 1048576, marker);
        assertEquals(1048576, out.length() - marker.length() - 2, "kept bytes");
        assertEquals("\n--- EXECUTION TIMED OUT ---", r.get("stderr").asText());
        assertTrue(after - before < 64L << 20, "heap grew by " + ((after - before) >> 20) + " MB");
    }

    // ---------------------------------------------------------------- background processes in a session

    @Test
    void daemonsLeftByATimedOutSessionCallAreGoneInTheNextCall() throws Exception {
        String session = "hostile-" + UUID.randomUUID();
        JsonNode r = underAttack(() -> server.execute(sessionCmd(session, """
                nohup sleep 1000 >/dev/null 2>&1 &
                setsid sleep 1000 >/dev/null 2>&1 </dev/null &
                setsid -f sleep 1000 >/dev/null 2>&1 </dev/null
                ( ( exec -a sleep-1000-renamed sleep 1000 ) </dev/null >/dev/null 2>&1 & )
                setsid -f bash -c 'trap "" TERM HUP INT; exec sleep 1000' </dev/null >/dev/null 2>&1
                sleep 1000 </dev/null >/dev/null 2>&1 & disown
                for i in $(seq 100); do [ "$(ps -eo args= | grep -c '^sleep')" -ge 6 ] && break; sleep 0.05; done
                echo started $(ps -eo args= | grep -c '^sleep')
                while :; do :; done
                """, 2500)));
        assertTrue(r.get("timedOut").asBoolean(), r.toString());
        assertTrue(r.get("stdout").asText().matches("started ([6-9]|\\d\\d)"), r.toString());
        JsonNode ps = server.execute(sessionCmd(session, "ps -eo args=", 10_000));
        assertEquals(r.get("containerId").asText(), ps.get("containerId").asText());
        List<String> left = Arrays.stream(ps.get("stdout").asText().split("\n")).filter(p -> p.contains("1000")).toList();
        assertEquals(List.of(), left, "processes left: " + ps.get("stdout").asText());
        deleteSession(session);
    }

    @Test
    void respawningDaemonThatExhaustsPidsLeavesNothingBehind() throws Exception {
        String session = "hostile-" + UUID.randomUUID();
        JsonNode r = underAttack(() -> server.execute(sessionCmd(session,
                "setsid -f bash -c 'while :; do sleep 1000 & done' </dev/null >/dev/null 2>&1; sleep 1000", 2500)));
        assertTrue(r.get("timedOut").asBoolean(), r.toString());
        HttpResponse<String> next = server.post("/execute", sessionCmd(session, "ps -eo args=", 10_000));
        if (next.statusCode() == 409) {
            // kill-all could not run (no pid left): the container was removed and the session ended (sandbox.md §8.1)
            assertEquals("{\"error\":\"Session \\\"" + session + "\\\" ended: its container is no longer running. "
                    + "Start a new session.\"}", next.body());
            next = server.post("/execute", sessionCmd(session, "ps -eo args=", 10_000));
            assertEquals(200, next.statusCode(), next.body());
            assertNotEquals(r.get("containerId").asText(), DockerServer.JSON.readTree(next.body()).get("containerId").asText());
        }
        assertEquals(200, next.statusCode(), next.body());
        String processes = DockerServer.JSON.readTree(next.body()).get("stdout").asText();
        assertFalse(processes.contains("sleep 1000") || processes.contains("while"), processes);
        deleteSession(session);
    }

    // ---------------------------------------------------------------- disk

    @Test
    void fillingSandboxEndsWithNoSpaceLeft() throws Exception {
        JsonNode r = underAttack(() -> server.execute(cmd("dd if=/dev/zero of=/sandbox/fill bs=1M count=64",
                "\"options\":{\"sandboxSize\":\"16m\",\"memoryLimit\":\"256m\"}")));
        assertNotEquals(0, r.get("exitCode").asInt(), r.toString());
        assertTrue(r.get("stderr").asText().contains("No space left on device"), r.toString());
        assertFalse(r.get("timedOut").asBoolean() || r.get("oomKilled").asBoolean(), r.toString());
    }

    @Test
    void fillingTmpEndsWithNoSpaceLeft() throws Exception {
        JsonNode r = underAttack(() -> server.execute(cmd("head -c 67108864 /dev/zero > /tmp/fill",
                "\"options\":{\"tmpSize\":\"16m\",\"memoryLimit\":\"256m\"}")));
        assertNotEquals(0, r.get("exitCode").asInt(), r.toString());
        assertTrue(r.get("stderr").asText().contains("No space left on device"), r.toString());
    }

    @Test
    void sessionWithAFullSandboxReportsStagingFailureAndRecoversAfterCleanup() throws Exception {
        String session = "hostile-" + UUID.randomUUID();
        String options = "\"options\":{\"sandboxSize\":\"16m\",\"memoryLimit\":\"256m\"}";
        JsonNode fill = underAttack(() -> server.execute(sessionCmd(session, "dd if=/dev/zero of=/sandbox/fill bs=1M count=64", options)));
        assertTrue(fill.get("stderr").asText().contains("No space left on device"), fill.toString());

        JsonNode code = server.execute("{\"request\":{\"runtime\":\"bash\",\"code\":\"echo never\"},\"sessionId\":\"" + session + "\"}");
        assertEquals(125, code.get("exitCode").asInt(), code.toString());
        assertTrue(code.get("stderr").asText().contains("No space left on device"), code.toString());
        assertTrue(code.get("stderr").asText().endsWith("\nisol8: could not write input files"), code.toString());

        JsonNode freed = server.execute(sessionCmd(session, "rm /sandbox/fill && echo freed", options));
        assertEquals("freed", freed.get("stdout").asText(), freed.toString());
        JsonNode again = server.execute("{\"request\":{\"runtime\":\"bash\",\"code\":\"echo works\"},\"sessionId\":\"" + session + "\"}");
        assertEquals("works", again.get("stdout").asText(), again.toString());
        deleteSession(session);
    }

    /** api.md §10.1: the 413 names the session's own sandboxSize, not the server default. */
    @Test
    void uploadIntoAFullSessionIs413NamingItsSandboxSize() throws Exception {
        String session = "hostile-" + UUID.randomUUID();
        JsonNode fill = server.execute(sessionCmd(session, "dd if=/dev/zero of=/sandbox/fill bs=1M count=64",
                "\"options\":{\"sandboxSize\":\"16m\",\"memoryLimit\":\"256m\"}"));
        assertTrue(fill.get("stderr").asText().contains("No space left on device"), fill.toString());
        HttpResponse<String> upload = server.post("/file",
                "{\"sessionId\":\"" + session + "\",\"path\":\"/sandbox/up.bin\",\"content\":\"" + "QUFB".repeat(1024) + "\"}");
        deleteSession(session);
        assertEquals(413, upload.statusCode(), upload.body());
        assertEquals("{\"error\":\"Not enough space for /sandbox/up.bin (sandboxSize 16m)\"}", upload.body());
    }

    @Test
    void rootFilesystemIsNotWritable() throws Exception {
        JsonNode r = underAttack(() -> server.execute(cmd(
                "for p in /etc/x /usr/x /usr/bin/x /x /var/x /opt/x /root/x; do touch $p 2>/dev/null && echo \"WROTE $p\"; done;"
                        + " touch /etc/x /usr/x", "")));
        assertEquals("", r.get("stdout").asText(), r.toString());
        assertEquals("touch: cannot touch '/etc/x': Read-only file system\ntouch: cannot touch '/usr/x': Read-only file system",
                r.get("stderr").asText());
        assertEquals(1, r.get("exitCode").asInt());
    }

    // ---------------------------------------------------------------- network

    @Test
    void networkIsUnreachableInEveryForm() throws Exception {
        List<String> hostAddresses = hostAddresses();
        int port = server.uri.getPort();
        StringBuilder hostAttempts = new StringBuilder();
        List<String> expected = new ArrayList<>(List.of("tcp-public OSError", "tcp-loopback ConnectionRefusedError"));
        for (String ip : hostAddresses) {
            hostAttempts.append("attempt(\"tcp-host-").append(ip).append("\", lambda: tcp(\"").append(ip).append("\", ")
                    .append(port).append("))\n");
            expected.add("tcp-host-" + ip + " OSError");
        }
        expected.addAll(List.of("tcp-ipv6 OSError", "udp OSError", "dns gaierror", "raw PermissionError", "packet PermissionError"));
        JsonNode r = underAttack(() -> server.execute(DockerServer.body("python", """
                import socket
                def attempt(name, action):
                    try:
                        action()
                        print(name, "SUCCEEDED")
                    except BaseException as e:
                        print(name, type(e).__name__)
                def tcp(host, port):
                    socket.create_connection((host, port), timeout=2).close()
                def udp():
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.sendto(b"x", ("1.1.1.1", 53))
                    s.settimeout(1)
                    s.recvfrom(512)
                attempt("tcp-public", lambda: tcp("1.1.1.1", 53))
                attempt("tcp-loopback", lambda: tcp("127.0.0.1", %d))
                %s
                attempt("tcp-ipv6", lambda: tcp("2606:4700:4700::1111", 53))
                attempt("udp", udp)
                attempt("dns", lambda: socket.getaddrinfo("example.com", 80))
                attempt("raw", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
                attempt("packet", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW))
                """.formatted(port, hostAttempts.toString().strip()), "\"timeoutMs\":15000", "")));
        assertEquals(0, r.get("exitCode").asInt(), r.toString());
        assertTrue(hostAddresses.size() >= 1, "no host address to try: " + hostAddresses);
        assertEquals(String.join("\n", expected), r.get("stdout").asText(), r.toString());
    }

    /** The Docker host's own IPv4 addresses (docker0 bridge included), where this server listens on every interface. */
    private static List<String> hostAddresses() throws Exception {
        List<String> addresses = new ArrayList<>();
        for (java.net.NetworkInterface nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            if (nic.isLoopback()) {
                continue;
            }
            for (java.net.InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
                if (a instanceof java.net.Inet4Address) {
                    addresses.add(a.getHostAddress());
                }
            }
        }
        return addresses;
    }

    // ---------------------------------------------------------------- privileges

    @Test
    void nothingGivesRoot() throws Exception {
        String cmd = String.join("\n",
                "check() { name=$1; shift; out=$(\"$@\" 2>&1 </dev/null); rc=$?; echo \"$name rc=$rc $(printf %s \"$out\" | tr '\\n' ' ')\"; }",
                "check setuid python3 -c 'import os; os.setuid(0)'",
                "check seteuid python3 -c 'import os; os.seteuid(0)'",
                "check su su -c 'id -u' root",
                "check unshare-user unshare -r true",
                "check unshare-mount unshare -m true",
                "check mount mount -t tmpfs x /mnt",
                "check shadow cat /etc/shadow",
                "check chown chown root /sandbox",
                "echo \"pid1-environ: $(tr '\\0' '\\n' </proc/1/environ | grep -c -e '^HOME=/sandbox$' -e '^HOSTILE_TOKEN=')\"",
                "echo \"docker-sock: $(ls /var/run/docker.sock /run/docker.sock 2>/dev/null | wc -l)\"",
                "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status",
                "echo \"uid: $(id -u):$(id -g) groups: $(id -G)\"");
        JsonNode r = underAttack(() -> server.execute(cmd(cmd, "\"options\":{\"secrets\":{\"HOSTILE_TOKEN\":\"do-not-leak-42\"}}")));
        String out = r.get("stdout").asText();
        List<String> lines = new ArrayList<>(Arrays.asList(out.split("\n")));
        assertLine(lines, "setuid rc=1 ", "PermissionError: [Errno 1] Operation not permitted", out);
        assertLine(lines, "seteuid rc=1 ", "PermissionError: [Errno 1] Operation not permitted", out);
        assertLine(lines, "su rc=1 ", "", out);
        assertLine(lines, "unshare-user rc=1 ", "unshare failed: Operation not permitted", out);
        assertLine(lines, "unshare-mount rc=1 ", "unshare failed: Operation not permitted", out);
        assertLine(lines, "mount rc=32 ", "must be superuser to use mount", out);
        assertLine(lines, "shadow rc=1 ", "Permission denied", out);
        assertLine(lines, "chown rc=1 ", "Operation not permitted", out);
        if (executor() == Isol8Config.Executor.AGENT) {
            // the agent is non-dumpable: its /proc entries are closed to the sandbox user (sandbox.md §15.1)
            assertTrue(lines.remove("pid1-environ: 0"), out + " (the agent's environment must not be readable)");
        } else {
            assertTrue(lines.remove("pid1-environ: 1"), out + " (tini's environment is readable and holds no request secret)");
        }
        assertTrue(lines.remove("docker-sock: 0"), out);
        for (String cap : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
            assertTrue(lines.remove(cap + ":\t0000000000000000"), cap + " in " + out);
        }
        assertTrue(lines.remove("uid: 1000:1000 groups: 1000"), out);
        assertEquals(List.of(), lines, out);
        assertFalse(out.contains("do-not-leak-42"), out);
    }

    private static void assertLine(List<String> lines, String prefix, String contains, String all) {
        String line = lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
        assertTrue(line != null && line.contains(contains), "no line «" + prefix + "…" + contains + "…» in\n" + all);
        assertFalse(line.matches(".* uid=0\\b.*|.* 0 *$"), line);
        lines.remove(line);
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Runs {@code attack} while a virtual thread polls {@code GET /health} on its own connection; then
     * checks that every poll was a 200 within 1 s and that a plain request still works afterwards.
     */
    private JsonNode underAttack(Callable<JsonNode> attack) throws Exception {
        JsonNode result;
        try (HealthWatch watch = new HealthWatch(server.uri)) {
            result = attack.call();
            watch.stopAndAssertHealthy();
        }
        JsonNode next = server.execute(DockerServer.body("bash", "echo still-serving", "", ""));
        assertEquals("still-serving", next.get("stdout").asText(), next.toString());
        return result;
    }

    /** The ephemeral container is force-removed in the background after the answer (sandbox.md §11.2). */
    private static void assertContainerRemoved(String containerId) throws Exception {
        Await.until(Duration.ofSeconds(20), "container " + containerId + " removed",
                () -> DockerServer.docker("ps", "-aq", "--no-trunc", "--filter", "id=" + containerId).isEmpty());
    }

    private static long usedHeapAfterGc() {
        java.lang.Runtime rt = java.lang.Runtime.getRuntime();
        System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static String cmd(String command, String rest) throws Exception {
        return "{\"request\":{\"runtime\":\"bash\",\"cmd\":" + DockerServer.JSON.writeValueAsString(command) + "}"
                + (rest.isEmpty() ? "" : "," + rest) + "}";
    }

    private static String sessionCmd(String session, String command, long timeoutMs) throws Exception {
        return "{\"request\":{\"runtime\":\"bash\",\"cmd\":" + DockerServer.JSON.writeValueAsString(command) + ",\"timeoutMs\":"
                + timeoutMs + "},\"sessionId\":\"" + session + "\"}";
    }

    private static String sessionCmd(String session, String command, String rest) throws Exception {
        return "{\"request\":{\"runtime\":\"bash\",\"cmd\":" + DockerServer.JSON.writeValueAsString(command) + "},\"sessionId\":\""
                + session + "\"," + rest + "}";
    }

    private void deleteSession(String session) throws Exception {
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri.resolve("/session/" + session)).DELETE(), DockerServer.KEY);
        assertEquals(200, r.statusCode(), r.body());
    }

    private static String shorten(JsonNode r) {
        String s = r.toString();
        return s.length() > 400 ? s.substring(0, 200) + " … " + s.substring(s.length() - 200) : s;
    }

    /** Polls {@code GET /health} every 100 ms until stopped, recording latency and anything but a fast 200. */
    private static final class HealthWatch implements AutoCloseable {
        private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(HEALTH_LIMIT_MS)).build();
        private final HttpRequest request;
        private final CountDownLatch stop = new CountDownLatch(1);
        private final List<String> problems = new CopyOnWriteArrayList<>();
        private final AtomicInteger polls = new AtomicInteger();
        private final AtomicLong maxNanos = new AtomicLong();
        private final Thread thread;

        HealthWatch(URI base) {
            this.request = HttpRequest.newBuilder(base.resolve("/health")).timeout(Duration.ofMillis(HEALTH_LIMIT_MS)).GET().build();
            this.thread = Thread.ofVirtual().name("health-watch").start(this::poll);
        }

        private void poll() {
            try {
                do {
                    long start = System.nanoTime();
                    String problem = null;
                    try {
                        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) {
                            problem = "status " + r.statusCode() + ": " + r.body();
                        }
                    } catch (Exception e) {
                        problem = e.getClass().getSimpleName() + ": " + e.getMessage();
                    }
                    long nanos = System.nanoTime() - start;
                    if (problem == null && nanos > TimeUnit.MILLISECONDS.toNanos(HEALTH_LIMIT_MS)) {
                        problem = "answered after " + TimeUnit.NANOSECONDS.toMillis(nanos) + " ms";
                    }
                    if (problem != null) {
                        problems.add(problem);
                    }
                    maxNanos.accumulateAndGet(nanos, Math::max);
                    polls.incrementAndGet();
                } while (!stop.await(100, TimeUnit.MILLISECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void stopAndAssertHealthy() throws InterruptedException {
            close();
            MAX_HEALTH_NANOS.accumulateAndGet(maxNanos.get(), Math::max);
            HEALTH_POLLS.addAndGet(polls.get());
            assertTrue(polls.get() >= 1, "no health poll completed");
            assertEquals(List.of(), problems, "GET /health during the attack (" + polls.get() + " polls, max "
                    + TimeUnit.NANOSECONDS.toMillis(maxNanos.get()) + " ms)");
        }

        @Override
        public void close() throws InterruptedException {
            stop.countDown();
            assertTrue(thread.join(Duration.ofSeconds(5)), "health watch did not stop");
        }
    }
}
