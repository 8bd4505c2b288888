package io.isol8.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.isol8.config.Isol8Config;
import io.isol8.core.Network;
import io.isol8.engine.egress.Dialer;
import io.isol8.engine.egress.Resolver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.isol8.e2e.DockerServer.body;
import static io.isol8.e2e.DockerServer.docker;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The filtered network on the real engine (issue table). The upstream "internet" is the test's own container on
 * its own bridge network; the proxy names it through a test resolver and may reach only its address
 * ({@code network.allowPrivate}). Every other address the proxy is handed goes to a dialer that records it and
 * never connects, so nothing leaves this machine even if a check were broken.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FilteredNetworkDockerTest {
    /** The executor this copy of the suite runs against. */
    abstract Isol8Config.Executor executor();

    private static final String LABEL = "io.isol8.test=filtered-network";
    private static final boolean BENCH = Boolean.getBoolean("isol8.egress.bench");
    /** Sequential latency (200 requests, median and p95) and closed-loop rate (10 in flight, 10 s) with urllib. */
    private static final String MEASURE = """
            import json, statistics, threading, time, urllib.request
            URL = "TARGET"
            def get():
                with urllib.request.urlopen(URL, timeout=10) as r:
                    r.read()
            for _ in range(300):
                get()
            lat = []
            for _ in range(200):
                t = time.perf_counter(); get(); lat.append((time.perf_counter() - t) * 1000)
            lat.sort()
            count = [0] * 10
            stop = time.perf_counter() + 10
            def loop(i):
                while time.perf_counter() < stop:
                    get(); count[i] += 1
            ts = [threading.Thread(target=loop, args=(i,)) for i in range(10)]
            [t.start() for t in ts]; [t.join() for t in ts]
            print(json.dumps({"p50": round(statistics.median(lat), 2), "p95": round(lat[189], 2),
                              "rate": round(sum(count) / 10, 1)}))
            """;
    private static final String UPSTREAM = """
            import http.server
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    if self.path.startswith("/redirect"):
                        self.send_response(302)
                        self.send_header("Location", "http://10.0.0.1/x" if self.path == "/redirect-private"
                                         else "/code.py")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    body = ("upstream-ok " + self.path).encode()
                    if self.path == "/code.py":
                        body = b"print('remote ok')\\n"
                    elif self.path == "/big.py":
                        body = b"#" * 10000
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *a):
                    pass
            http.server.ThreadingHTTPServer(("0.0.0.0", 8080), H).serve_forever()
            """;

    private final String suffix = UUID.randomUUID().toString().substring(0, 8);
    private final String upstreamNetwork = "isol8-test-upstream-net-" + suffix;
    private final String upstreamName = "isol8-test-upstream-" + suffix;
    private final List<InetSocketAddress> recorded = new CopyOnWriteArrayList<>();
    private final Map<String, InetAddress> names = new ConcurrentHashMap<>();
    private String upstreamIp;
    private DockerServer server;

    @BeforeAll
    void start() throws Exception {
        io.isol8.testing.DockerRequired.check();
        docker("network", "create", "--label", LABEL, upstreamNetwork);
        docker("run", "-d", "--label", LABEL, "--name", upstreamName, "--network", upstreamNetwork, "--user", "1000",
                "--cap-drop", "ALL", "isol8:python", "python3", "-c", UPSTREAM);
        upstreamIp = docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", upstreamName);
        InetAddress upstream = InetAddress.getByName(upstreamIp);
        try {
            io.isol8.testing.Await.until(Duration.ofSeconds(30), "the upstream answers", () -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(upstream, 8080), 500);
                    return true;
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; upstream " + upstreamIp + " logs: " + docker("logs", upstreamName)
                    + "; state: " + docker("inspect", "-f", "{{.State.Status}} {{json .NetworkSettings.Networks}}",
                    upstreamName), e);
        }
        names.put("upstream.test", upstream);
        names.put("other.bad", upstream);
        names.put("elsewhere.test", upstream);
        names.put("meta.test", InetAddress.getByName("169.254.169.254"));
        names.put("ten.test", InetAddress.getByName("10.1.2.3"));
        names.put("loop.test", InetAddress.getLoopbackAddress());
        names.put("bridge.test", InetAddress.getByName("172.17.0.1"));
        Resolver resolver = host -> {
            InetAddress a = names.get(host);
            if (a == null) {
                throw new UnknownHostException(host);
            }
            return List.of(a);
        };
        Dialer dialer = DockerServer.dialOnly(upstream::equals, recorded);
        Isol8Config b = Isol8Config.builtIn();
        Isol8Config.Limits l = b.limits();
        Isol8Config.Limits limits = new Isol8Config.Limits(l.timeoutMs(), l.memoryLimit(), l.cpuLimit(),
                l.sandboxSize(), l.tmpSize(), l.pidsLimit(), l.maxOutputSize(), BENCH
                        ? Set.of(Network.NONE, Network.FILTERED, Network.BRIDGE) : Set.of(Network.NONE, Network.FILTERED),
                l.allowWritableRootFs(), l.allowedImages(), l.maxRequestBytes(), l.maxFileBytes(), l.maxSessions(),
                l.maxSessionQueue());
        Isol8Config config = new Isol8Config(b.port(), b.instanceId(), b.maxConcurrent(), b.maxQueued(),
                b.queueTimeoutMs(), b.defaults(), limits, b.cleanup(), new Isol8Config.Pool(false, Map.of()),
                b.images(), b.docker(), b.auth(), b.source(), new Isol8Config.Engine(executor()),
                new Isol8Config.Egress(List.of(upstreamIp + "/32"), 32, 1L << 30, 5000, 30_000, 5000, 1024),
                new Isol8Config.RemoteCode(true, List.of("\\.test$"), true, 4096, 5000, false));
        server = DockerServer.start(config, resolver, dialer);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (server != null) {
                String network = "isol8-filtered-" + server.instanceId;
                server.close();
                assertThat(docker("network", "ls", "-q", "--filter", "name=" + network)).isEmpty();
                assertThat(iptables()).doesNotContain("isl8f");
            }
        } finally {
            docker("rm", "-f", upstreamName);
            docker("network", "rm", upstreamNetwork);
        }
    }

    @Test
    void allowedPlainHttpAndConnectReachTheUpstreamAndAreLoggedInOrder() throws Exception {
        String code = """
                import os, socket, urllib.request
                print(urllib.request.urlopen("http://upstream.test:8080/plain", timeout=10).read().decode())
                host, port = os.environ["HTTPS_PROXY"][len("http://"):].rsplit(":", 1)
                s = socket.create_connection((host, int(port)), timeout=10)
                s.sendall(b"CONNECT upstream.test:8080 HTTP/1.1\\r\\nHost: upstream.test:8080\\r\\n\\r\\n")
                head = b""
                while b"\\r\\n\\r\\n" not in head:
                    head += s.recv(1)
                print(head.split(b"\\r\\n")[0].decode())
                s.sendall(b"GET /tunnel HTTP/1.1\\r\\nHost: upstream.test\\r\\nConnection: close\\r\\n\\r\\n")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                print(data.decode().split("\\r\\n\\r\\n", 1)[1])
                """;
        JsonNode r = server.execute(body("python", code, "",
                "\"options\":{\"network\":\"filtered\",\"logNetwork\":true,"
                        + "\"networkFilter\":{\"whitelist\":[\"^upstream\\\\.test$\"]}}"));
        assertThat(r.get("stderr").asText()).isEmpty();
        assertThat(r.get("stdout").asText())
                .isEqualTo("upstream-ok /plain\nHTTP/1.1 200 Connection established\nupstream-ok /tunnel");
        JsonNode logs = r.get("networkLogs");
        assertThat(logs).hasSize(2);
        assertThat(logs.get(0).get("method").asText()).isEqualTo("GET");
        assertThat(logs.get(0).get("host").asText()).isEqualTo("upstream.test");
        assertThat(logs.get(0).get("path").asText()).isEqualTo("/plain");
        assertThat(logs.get(0).get("action").asText()).isEqualTo("ALLOW");
        assertThat(logs.get(1).get("method").asText()).isEqualTo("CONNECT");
        assertThat(logs.get(1).get("path").isNull()).isTrue();
        assertThat(logs.get(1).get("action").asText()).isEqualTo("ALLOW");
        assertThat(logs.get(0).get("timestamp").asText()).isLessThanOrEqualTo(logs.get(1).get("timestamp").asText());
        assertThat(recorded).isEmpty();
    }

    @Test
    void blacklistedAndUnlistedHostsAreRefused() throws Exception {
        String code = """
                import urllib.request, urllib.error
                for url in ["http://other.bad:8080/", "http://elsewhere.test:8080/", "http://upstream.test:8080/ok"]:
                    try:
                        print(urllib.request.urlopen(url, timeout=10).status)
                    except urllib.error.HTTPError as e:
                        print(e.code)
                """;
        JsonNode r = server.execute(body("python", code, "",
                "\"options\":{\"network\":\"filtered\",\"logNetwork\":true,\"networkFilter\":"
                        + "{\"whitelist\":[\"^upstream\\\\.\",\"^other\"],\"blacklist\":[\"\\\\.bad$\"]}}"));
        assertThat(r.get("stdout").asText()).isEqualTo("403\n403\n200");
        JsonNode logs = r.get("networkLogs");
        assertThat(logs).hasSize(3);
        assertThat(List.of(logs.get(0).get("action").asText(), logs.get(1).get("action").asText(),
                logs.get(2).get("action").asText())).containsExactly("BLOCK", "BLOCK", "ALLOW");
        assertThat(logs.get(0).get("durationMs").asLong()).isZero();
    }

    @Test
    void privateLoopbackMetadataAndHostAddressesAreRefusedWhateverTheWhitelist() throws Exception {
        String code = """
                import urllib.request, urllib.error
                for url in ["http://meta.test/latest/meta-data/", "http://ten.test/", "http://loop.test:3000/",
                            "http://bridge.test:3000/", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
                            "http://[::1]:3000/", "http://[fd00::1]/", "http://0.0.0.0:3000/"]:
                    try:
                        print(urllib.request.urlopen(url, timeout=10).status)
                    except urllib.error.HTTPError as e:
                        print(e.code)
                    except Exception as e:
                        print(type(e).__name__)
                """;
        JsonNode r = server.execute(body("python", code, "",
                "\"options\":{\"network\":\"filtered\",\"logNetwork\":true}"));
        assertThat(r.get("stdout").asText().split("\n")).containsOnly("403").hasSize(9);
        assertThat(r.get("networkLogs")).hasSize(9)
                .allSatisfy(e -> assertThat(e.get("action").asText()).isEqualTo("BLOCK"));
        assertThat(recorded).isEmpty();
    }

    @Test
    void withoutTheProxyNothingIsReachable() throws Exception {
        String code = """
                import os, socket
                def tcp(host, port):
                    try:
                        socket.create_connection((host, port), timeout=2).close()
                        return "open"
                    except Exception as e:
                        return "closed"
                gw, port = os.environ["HTTP_PROXY"][len("http://"):].rsplit(":", 1)
                print("proxy", tcp(gw, int(port)))
                print("gateway-server-port", tcp(gw, SERVER_PORT))
                print("gateway-other-port", tcp(gw, 22))
                print("docker0-server-port", tcp("172.17.0.1", SERVER_PORT))
                print("upstream-direct", tcp("UPSTREAM_IP", 8080))
                try:
                    v6 = open("/proc/net/if_inet6").read().strip()
                except OSError:
                    v6 = ""
                print("ipv6-addresses", v6 == "" and "none" or v6)
                try:
                    socket.socket(socket.AF_INET6, socket.SOCK_STREAM).connect(("::1", 1))
                    print("ipv6-connect", "open")
                except OSError:
                    print("ipv6-connect", "closed")
                own = [l.strip().rsplit("/", 1)[-1] for l in open("/proc/self/cgroup") if "docker" in l][0][:12]
                try:
                    answers = {a[4][0] for a in socket.getaddrinfo(own, 80)}
                except OSError:
                    answers = set()
                mine = socket.gethostbyname(socket.gethostname())
                print("own-name", answers <= {mine})
                try:
                    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
                    print("raw-socket", "allowed")
                except OSError:
                    print("raw-socket", "refused")
                """.replace("SERVER_PORT", Integer.toString(server.uri.getPort())).replace("UPSTREAM_IP", upstreamIp);
        JsonNode r = server.execute(body("python", code, "\"timeoutMs\":60000",
                "\"options\":{\"network\":\"filtered\"}"));
        assertThat(r.get("stdout").asText()).isEqualTo(String.join("\n",
                "proxy open", "gateway-server-port closed", "gateway-other-port closed", "docker0-server-port closed",
                "upstream-direct closed", "ipv6-addresses none", "ipv6-connect closed", "own-name True",
                "raw-socket refused"));
    }

    @Test
    void oneProgramGetsAtMostMaxConnectionsAtOnce() throws Exception {
        String code = """
                import os, socket
                host, port = os.environ["HTTP_PROXY"][len("http://"):].rsplit(":", 1)
                held, ok, refused = [], 0, 0
                for i in range(200):
                    s = socket.create_connection((host, int(port)), timeout=10)
                    s.sendall(b"CONNECT upstream.test:8080 HTTP/1.1\\r\\n\\r\\n")
                    line = s.recv(64).split(b"\\r\\n")[0]
                    if line.startswith(b"HTTP/1.1 200"):
                        ok += 1
                        held.append(s)
                    else:
                        refused += 1
                        s.close()
                print(ok, refused)
                """;
        JsonNode r = server.execute(body("python", code, "\"timeoutMs\":60000",
                "\"options\":{\"network\":\"filtered\"}"));
        assertThat(r.get("stdout").asText()).isEqualTo("32 168");
    }

    @Test
    void aSessionIsBoundToItsFilter() throws Exception {
        String session = "filtered-" + suffix;
        String first = body("python", "print(1)", "",
                "\"sessionId\":\"" + session + "\",\"options\":{\"network\":\"filtered\",\"networkFilter\":"
                        + "{\"whitelist\":[\"^upstream\\\\.test$\"]}}");
        try {
            assertThat(server.execute(first).get("stdout").asText()).isEqualTo("1");
            HttpResponse<String> other = server.post("/execute", body("python", "print(2)", "",
                    "\"sessionId\":\"" + session + "\",\"options\":{\"network\":\"filtered\",\"networkFilter\":"
                            + "{\"whitelist\":[\"^elsewhere\\\\.test$\"]}}"));
            assertThat(other.statusCode()).isEqualTo(409);
            assertThat(other.body()).contains("options.networkFilter").contains("conflicts with session");
            String code = """
                    import urllib.request, urllib.error
                    try:
                        print(urllib.request.urlopen("http://elsewhere.test:8080/", timeout=10).status)
                    except urllib.error.HTTPError as e:
                        print(e.code)
                    """;
            JsonNode again = server.execute(body("python", code, "", "\"sessionId\":\"" + session + "\""));
            assertThat(again.get("stdout").asText()).isEqualTo("403");
        } finally {
            server.send(java.net.http.HttpRequest.newBuilder(server.uri.resolve("/session/" + session)).DELETE(),
                    DockerServer.KEY);
        }
    }

    @Test
    @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "isol8.egress.bench", matches = "true")
    void measureProxiedAgainstDirect() throws Exception {
        docker("network", "connect", "bridge", upstreamName);
        try {
            String direct = docker("inspect", "-f", "{{.NetworkSettings.Networks.bridge.IPAddress}}", upstreamName);
            JsonNode viaProxy = server.execute(body("python", MEASURE.replace("TARGET", "http://upstream.test:8080/m"),
                    "\"timeoutMs\":120000", "\"options\":{\"network\":\"filtered\"}"));
            JsonNode viaBridge = server.execute(body("python", MEASURE.replace("TARGET", "http://" + direct + ":8080/m"),
                    "\"timeoutMs\":120000", "\"options\":{\"network\":\"bridge\"}"));
            System.out.println("egress bench (" + executor().wireName() + "): proxied " + viaProxy.get("stdout").asText()
                    + " direct " + viaBridge.get("stdout").asText() + " " + viaProxy.get("stderr").asText()
                    + viaBridge.get("stderr").asText());
        } finally {
            docker("network", "disconnect", "-f", "bridge", upstreamName);
        }
    }

    private static final String CODE_SHA256 = "%064x";

    private String remote(String url, String hash, boolean insecure) {
        return "{\"request\":{\"runtime\":\"python\",\"codeUrl\":\"" + url + "\""
                + (hash == null ? "" : ",\"codeHash\":\"" + hash + "\"")
                + (insecure ? ",\"allowInsecureCodeUrl\":true" : "") + "}}";
    }

    @Test
    void codeUrlRunsTheFetchedCodeWhenItsHashMatches() throws Exception {
        String hash = sha256("print('remote ok')\n");
        JsonNode r = server.execute(remote("http://upstream.test:8080/code.py", hash.toUpperCase(), true));
        assertThat(r.get("stdout").asText()).isEqualTo("remote ok");
        JsonNode redirected = server.execute(remote("http://upstream.test:8080/redirect-ok", null, true));
        assertThat(redirected.get("stdout").asText()).isEqualTo("remote ok");
    }

    @Test
    void codeUrlRefusalsAre400sNamingTheReason() throws Exception {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put(remote("http://upstream.test:8080/code.py", CODE_SHA256.formatted(1), true),
                "request.codeHash does not match the code at request.codeUrl");
        cases.put(remote("http://upstream.test:8080/code.py", "abc", true),
                "request.codeHash must be a SHA-256 hash");
        cases.put(remote("http://upstream.test:8080/code.py", null, false),
                "request.codeUrl must use https unless request.allowInsecureCodeUrl is true");
        cases.put(remote("http://ten.test/code.py", null, true), "is refused: address 10.1.2.3 is in the refused range");
        cases.put(remote("http://meta.test/latest/meta-data", null, true), "169.254.169.254");
        cases.put(remote("http://10.0.0.1/code.py", null, true), "request.codeUrl host \\\"10.0.0.1\\\" is not allowed");
        cases.put(remote("http://upstream.test:8080/redirect-private", null, true),
                "request.codeUrl redirect to http://10.0.0.1/x host");
        cases.put(remote("http://upstream.test:8080/big.py", null, true),
                "exceeds remoteCode.maxCodeBytes (4096 bytes)");
        cases.put(remote("ftp://upstream.test/code.py", null, true), "request.codeUrl must be an https URL");
        cases.put(remote("http://unknown.test/code.py", null, true), "request.codeUrl could not be fetched");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            HttpResponse<String> r = server.post("/execute", c.getKey());
            assertThat(r.statusCode()).as(c.getKey()).isEqualTo(400);
            assertThat(r.body()).as(c.getKey()).contains(c.getValue());
        }
        assertThat(recorded).isEmpty();
    }

    private static String sha256(String text) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static String iptables() throws Exception {
        Process p = new ProcessBuilder("iptables", "-S", "INPUT").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

}
