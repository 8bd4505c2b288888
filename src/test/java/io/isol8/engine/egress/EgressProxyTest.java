package io.isol8.engine.egress;

import io.isol8.core.Cidr;
import io.isol8.core.NetworkFilter;
import io.isol8.core.NetworkLogEntry;
import io.isol8.engine.Telemetry;
import io.isol8.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proxy with real sockets on loopback. Every address outside this machine goes to {@link RecordingDialer},
 * which records the attempt and never connects.
 */
class EgressProxyTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final RecordingDialer dialer = new RecordingDialer();
    private final MapResolver resolver = new MapResolver();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    @Test
    void allowedPlainRequestReachesTheUpstreamInOriginForm() throws Exception {
        Upstream up = upstream();
        resolver.put("api.test", LOOPBACK);
        Proxy p = proxy(limits(), List.of("127.0.0.1/32"), NetworkFilter.NONE);
        String answer = p.send("GET http://api.test:" + up.port() + "/v1/x?q=1 HTTP/1.1\r\nHost: api.test\r\n"
                + "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eDp5\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 200").endsWith("hello");
        String seen = up.heads.getFirst();
        assertThat(seen).startsWith("GET /v1/x?q=1 HTTP/1.1\r\n").contains("Host: api.test\r\n")
                .contains("Connection: close\r\n").doesNotContainIgnoringCase("proxy-");
        List<NetworkLogEntry> log = p.grant.drain();
        assertThat(log).singleElement().satisfies(e -> {
            assertThat(e.action()).isEqualTo("ALLOW");
            assertThat(e.method()).isEqualTo("GET");
            assertThat(e.host()).isEqualTo("api.test");
            assertThat(e.path()).contains("/v1/x?q=1");
        });
        assertThat(p.grant.bytesIn()).isGreaterThan(0);
        assertThat(p.grant.bytesOut()).isGreaterThan(0);
    }

    @Test
    void allowedConnectOpensATunnel() throws Exception {
        Upstream up = upstream();
        resolver.put("api.test", LOOPBACK);
        Proxy p = proxy(limits(), List.of("127.0.0.1/32"), new NetworkFilter(List.of("^api\\.test$"), List.of()));
        try (Socket s = p.connect()) {
            write(s, "CONNECT API.test:" + up.port() + " HTTP/1.1\r\nHost: api.test\r\n\r\n");
            assertThat(readHead(s)).startsWith("HTTP/1.1 200");
            write(s, "GET /tunnelled HTTP/1.1\r\nHost: api.test\r\n\r\n");
            assertThat(readAll(s)).endsWith("hello");
        }
        assertThat(up.heads.getFirst()).startsWith("GET /tunnelled ");
        assertThat(p.grant.drain()).singleElement().satisfies(e -> {
            assertThat(e.method()).isEqualTo("CONNECT");
            assertThat(e.host()).isEqualTo("api.test");
            assertThat(e.path()).isEmpty();
            assertThat(e.allowed()).isTrue();
        });
    }

    @Test
    void blacklistWinsOverWhitelist() throws Exception {
        resolver.put("evil.api.test", LOOPBACK);
        Proxy p = proxy(limits(), List.of("127.0.0.1/32"), new NetworkFilter(List.of("api\\.test"), List.of("EVIL")));
        assertThat(p.send("CONNECT evil.api.test:443 HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 403")
                .contains("blacklist");
        assertThat(resolver.asked).isEmpty();
        assertThat(p.grant.drain()).singleElement().satisfies(e -> assertThat(e.action()).isEqualTo("BLOCK"));
    }

    @Test
    void hostOutsideTheWhitelistIsRefused() throws Exception {
        Proxy p = proxy(limits(), List.of(), new NetworkFilter(List.of("^api\\.test$"), List.of()));
        assertThat(p.send("GET http://other.test/ HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 403")
                .contains("not in the whitelist");
        assertThat(p.send("GET http://xapi.test/ HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 403");
        assertThat(resolver.asked).isEmpty();
        assertThat(dialer.attempts).isEmpty();
    }

    @Test
    void ownerAllowedHostsCapTheWhitelist() throws Exception {
        resolver.put("open.test", InetAddress.getByName("93.184.216.34"));
        EgressProxy proxy = new EgressProxy(limits(), new AddressRules(List.of(), Set::of), List.of("\\.allowed$"),
                resolver, dialer, Telemetry.NONE);
        Proxy p = start(proxy, NetworkFilter.NONE);
        assertThat(p.send("CONNECT open.test:443 HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 403")
                .contains("limits.allowedHosts");
        assertThat(dialer.attempts).isEmpty();
    }

    @Test
    void namesResolvingToLoopbackPrivateOrMetadataAddressesAreRefused() throws Exception {
        resolver.put("loop.test", LOOPBACK);
        resolver.put("ten.test", InetAddress.getByName("10.1.2.3"));
        resolver.put("meta.test", InetAddress.getByName("169.254.169.254"));
        resolver.put("cgnat.test", InetAddress.getByName("100.64.0.1"));
        resolver.put("v6.test", InetAddress.getByName("fd00::1"));
        Proxy p = proxy(limits(), List.of(), NetworkFilter.NONE);
        for (String host : List.of("loop.test", "ten.test", "meta.test", "cgnat.test", "v6.test")) {
            assertThat(p.send("CONNECT " + host + ":443 HTTP/1.1\r\n\r\n")).as(host).startsWith("HTTP/1.1 403")
                    .contains("refused range");
        }
        assertThat(dialer.attempts).isEmpty();
    }

    @Test
    void aNameWithOnePrivateAnswerAmongPublicOnesIsRefused() throws Exception {
        resolver.put("mixed.test", InetAddress.getByName("93.184.216.34"), InetAddress.getByName("10.0.0.7"));
        Proxy p = proxy(limits(), List.of(), NetworkFilter.NONE);
        assertThat(p.send("CONNECT mixed.test:443 HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 403");
        assertThat(dialer.attempts).isEmpty();
    }

    @Test
    void theDockerHostsOwnAddressesAreRefused() throws Exception {
        InetAddress hostAddress = InetAddress.getByName("93.184.216.40");
        resolver.put("host.test", hostAddress);
        EgressProxy proxy = new EgressProxy(limits(), new AddressRules(List.of(), () -> Set.of(hostAddress)),
                List.of(), resolver, dialer, Telemetry.NONE);
        Proxy p = start(proxy, NetworkFilter.NONE);
        assertThat(p.send("CONNECT host.test:22 HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 403")
                .contains("belongs to the Docker host");
        assertThat(dialer.attempts).isEmpty();
    }

    @Test
    void literalPrivateAndIpv6AddressesGoThroughTheSameCheck() throws Exception {
        Proxy p = proxy(limits(), List.of(), NetworkFilter.NONE);
        for (String target : List.of("CONNECT 10.0.0.1:443", "GET http://169.254.169.254/latest/meta-data/",
                "CONNECT 127.0.0.1:22", "GET http://[::1]:8080/", "CONNECT [fe80::1]:443",
                "CONNECT [::ffff:10.0.0.1]:443", "GET http://0.0.0.0/", "CONNECT 192.168.1.1:80")) {
            assertThat(p.send(target + " HTTP/1.1\r\n\r\n")).as(target).startsWith("HTTP/1.1 403");
        }
        assertThat(resolver.asked).isEmpty();
        assertThat(dialer.attempts).isEmpty();
    }

    @Test
    void aPublicLiteralIsDialledExactlyAsChecked() throws Exception {
        Proxy p = proxy(limits(), List.of(), NetworkFilter.NONE);
        assertThat(p.send("CONNECT 93.184.216.34:443 HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 502");
        assertThat(dialer.attempts).containsExactly(new InetSocketAddress("93.184.216.34", 443));
    }

    @Test
    void dnsRebindingCannotSwitchTheCheckedAddress() throws Exception {
        InetAddress publicOne = InetAddress.getByName("93.184.216.34");
        InetAddress privateOne = InetAddress.getByName("10.0.0.5");
        AtomicInteger calls = new AtomicInteger();
        Resolver rebinding = host -> List.of(calls.getAndIncrement() == 0 ? publicOne : privateOne);
        EgressProxy proxy = new EgressProxy(limits(), new AddressRules(List.of(), Set::of), List.of(), rebinding,
                dialer, Telemetry.NONE);
        Proxy p = start(proxy, NetworkFilter.NONE);
        assertThat(p.send("CONNECT rebind.test:443 HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 502");
        assertThat(p.send("CONNECT rebind.test:443 HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 403");
        assertThat(calls.get()).isEqualTo(2);
        assertThat(dialer.attempts).containsExactly(new InetSocketAddress(publicOne, 443));
    }

    @Test
    void aClientWithoutAGrantGetsNothing() throws Exception {
        EgressProxy proxy = new EgressProxy(limits(), new AddressRules(List.of(), Set::of), List.of(), resolver,
                dialer, Telemetry.NONE);
        closing.add(proxy);
        InetSocketAddress at = proxy.listen(new InetSocketAddress(LOOPBACK, 0));
        try (Socket s = new Socket(at.getAddress(), at.getPort())) {
            write(s, "CONNECT 93.184.216.34:443 HTTP/1.1\r\n\r\n");
            assertThat(readAll(s)).startsWith("HTTP/1.1 403");
        }
        assertThat(dialer.attempts).isEmpty();
    }

    @Test
    void malformedRequestsAreRefused() throws Exception {
        Proxy p = proxy(limits(), List.of(), NetworkFilter.NONE);
        for (String head : List.of("GET / HTTP/1.1", "GET https://a.test/ HTTP/1.1", "CONNECT a.test HTTP/1.1",
                "GET http://user:pw@a.test/ HTTP/1.1", "GET http://a_b.test/ HTTP/1.1", "CONNECT a.test:99999 HTTP/1.1",
                "get http://a.test/ HTTP/1.1", "GET ftp://a.test/ HTTP/1.1")) {
            assertThat(p.send(head + "\r\n\r\n")).as(head).startsWith("HTTP/1.1 400");
        }
        assertThat(dialer.attempts).isEmpty();
    }

    @Test
    void connectionsPerSandboxAreBounded() throws Exception {
        Upstream up = upstream();
        resolver.put("api.test", LOOPBACK);
        Proxy p = proxy(new EgressLimits(2, 1 << 20, 2000, 10_000, 2000, 64, 100), List.of("127.0.0.1/32"),
                NetworkFilter.NONE);
        List<Socket> open = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Socket s = p.connect();
            open.add(s);
            write(s, "CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\n");
            assertThat(readHead(s)).startsWith("HTTP/1.1 200");
        }
        assertThat(p.send("CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 503")
                .contains("maxConnections");
        for (Socket s : open) {
            s.close();
        }
        Await.until(Duration.ofSeconds(5), "p.grant.openConnections() == 0", () -> p.grant.openConnections() == 0);
        assertThat(p.send("GET http://api.test:" + up.port() + "/ HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 200");
    }

    @Test
    void theByteBudgetClosesTheSandboxsConnections() throws Exception {
        Upstream up = upstream(100_000);
        resolver.put("api.test", LOOPBACK);
        Proxy p = proxy(new EgressLimits(4, 10_000, 2000, 10_000, 2000, 64, 100), List.of("127.0.0.1/32"),
                NetworkFilter.NONE);
        String answer = p.send("GET http://api.test:" + up.port() + "/big HTTP/1.1\r\n\r\n");
        assertThat(answer.length()).isLessThan(100_000);
        assertThat(p.grant.bytesIn() + p.grant.bytesOut()).isGreaterThan(10_000);
    }

    @Test
    void aSlowLorisClientIsCutOffAtTheHeaderTimeout() throws Exception {
        Proxy p = proxy(new EgressLimits(4, 1 << 20, 2000, 10_000, 300, 64, 100), List.of(), NetworkFilter.NONE);
        long start = System.nanoTime();
        try (Socket s = p.connect()) {
            write(s, "CONNECT a.te");
            assertThat(readAll(s)).startsWith("HTTP/1.1 408");
        }
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(3000);
    }

    @Test
    void aSilentUpstreamIsClosedAtTheIdleTimeout() throws Exception {
        ServerSocket silent = new ServerSocket(0, 50, LOOPBACK);
        closing.add(silent);
        List<Socket> held = new CopyOnWriteArrayList<>();
        Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    held.add(silent.accept());
                }
            } catch (IOException e) {
                // closed
            }
        });
        resolver.put("slow.test", LOOPBACK);
        Proxy p = proxy(new EgressLimits(4, 1 << 20, 2000, 300, 2000, 64, 100), List.of("127.0.0.1/32"),
                NetworkFilter.NONE);
        long start = System.nanoTime();
        assertThat(p.send("GET http://slow.test:" + silent.getLocalPort() + "/ HTTP/1.1\r\n\r\n")).isEmpty();
        assertThat((System.nanoTime() - start) / 1_000_000).isBetween(250L, 3000L);
        for (Socket s : held) {
            s.close();
        }
    }

    @Test
    void aFloodOfConnectionsStaysWithinTheProxysBound() throws Exception {
        Proxy p = proxy(new EgressLimits(4, 1 << 20, 2000, 10_000, 5000, 8, 100), List.of(), NetworkFilter.NONE);
        List<Socket> flood = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            flood.add(p.connect());
        }
        Await.until(Duration.ofSeconds(5), "p.proxy.activeConnections() == 8", () -> p.proxy.activeConnections() == 8);
        assertThat(p.proxy.activeConnections()).isEqualTo(8);
        for (Socket s : flood) {
            s.close();
        }
        Await.until(Duration.ofSeconds(5), "p.proxy.activeConnections() == 0", () -> p.proxy.activeConnections() == 0);
    }

    @Test
    void closingTheGrantEndsItsConnections() throws Exception {
        Upstream up = upstream();
        resolver.put("api.test", LOOPBACK);
        Proxy p = proxy(limits(), List.of("127.0.0.1/32"), NetworkFilter.NONE);
        try (Socket s = p.connect()) {
            write(s, "CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\n");
            assertThat(readHead(s)).startsWith("HTTP/1.1 200");
            p.grant.close();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(p.send("CONNECT api.test:" + up.port() + " HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 403");
    }

    @Test
    void theInstallWindowOpensTheRegistriesOnlyWhileItIsOpen() throws Exception {
        Upstream up = upstream();
        resolver.put("registry.test", LOOPBACK);
        resolver.put("registry.test.evil", InetAddress.getByName("169.254.169.254"));
        EgressProxy proxy = new EgressProxy(limits(), new AddressRules(List.of(Cidr.parse("127.0.0.1/32")
                .orElseThrow()), Set::of), List.of("^owner\\.test$"), resolver, dialer, Telemetry.NONE);
        Proxy p = start(proxy, new NetworkFilter(List.of("^api\\.test$"), List.of("registry")));
        String ask = "CONNECT registry.test:" + up.port() + " HTTP/1.1\r\n\r\n";
        assertThat(p.send(ask)).startsWith("HTTP/1.1 403");
        Socket tunnel;
        try (InstallWindow window = p.grant.openInstall(List.of("^registry\\.test"), Set.of())) {
            // the registry is the owner's choice: neither the request's blacklist nor limits.allowedHosts apply
            tunnel = p.connect();
            write(tunnel, ask);
            assertThat(readHead(tunnel)).startsWith("HTTP/1.1 200");
            // a name the pattern finds still goes through the address rules
            assertThat(p.send("CONNECT registry.test.evil:443 HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 403")
                    .contains("refused range");
        }
        // closing the window ended the tunnel it let through, and the registry is refused again
        assertThat(readAll(tunnel)).isEqualTo("");
        tunnel.close();
        assertThat(p.send(ask)).startsWith("HTTP/1.1 403");
        assertThat(dialer.attempts).isEmpty();
    }

    @Test
    void aConfiguredMirrorIsReachableOnAPrivateAddressDuringTheInstallOnly() throws Exception {
        Upstream up = upstream();
        resolver.put("mirror.internal", LOOPBACK);
        Proxy p = proxy(limits(), List.of(), new NetworkFilter(List.of("^api\\.test$"), List.of()));
        String ask = "GET http://mirror.internal:" + up.port() + "/simple/ HTTP/1.1\r\n\r\n";
        try (InstallWindow window = p.grant.openInstall(List.of(), Set.of("mirror.internal"))) {
            assertThat(p.send(ask)).startsWith("HTTP/1.1 200").endsWith("hello");
        }
        assertThat(p.send(ask)).startsWith("HTTP/1.1 403").contains("not in the whitelist");
        assertThat(p.grant.drain()).extracting(NetworkLogEntry::action).containsExactly("ALLOW", "BLOCK");
    }

    @Test
    void aBacktrackingPatternRefusesInsteadOfSpinning() throws Exception {
        String host = "a".repeat(60) + ".test";
        resolver.put(host, InetAddress.getByName("93.184.216.34"));
        Proxy p = proxy(limits(), List.of(), new NetworkFilter(List.of("^(a+)+$"), List.of("(a|aa)+b")));
        long start = System.nanoTime();
        assertThat(p.send("CONNECT " + host + ":443 HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 403");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(2000);
        assertThat(dialer.attempts).isEmpty();
    }

    @Test
    void theLogKeepsDecisionOrder() throws Exception {
        Upstream up = upstream();
        resolver.put("api.test", LOOPBACK);
        Proxy p = proxy(limits(), List.of("127.0.0.1/32"), new NetworkFilter(List.of(), List.of("^bad")));
        p.send("GET http://api.test:" + up.port() + "/one HTTP/1.1\r\n\r\n");
        p.send("CONNECT bad.test:443 HTTP/1.1\r\n\r\n");
        p.send("POST http://api.test:" + up.port() + "/two HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        List<NetworkLogEntry> log = p.grant.drain();
        assertThat(log).extracting(e -> e.method() + " " + e.host() + " " + e.path().orElse("-") + " " + e.action())
                .containsExactly("GET api.test /one ALLOW", "CONNECT bad.test - BLOCK", "POST api.test /two ALLOW");
        assertThat(log.get(1).durationMs()).isZero();
        assertThat(log.get(1).reason()).contains("host matches the blacklist");
        assertThat(p.grant.drain()).isEmpty();
    }

    @Test
    void rangesParseAndContain() {
        assertThat(Cidr.parse("10.0.0.0/8").orElseThrow().contains(addr("10.255.1.2"))).isTrue();
        assertThat(Cidr.parse("10.0.0.0/8").orElseThrow().contains(addr("11.0.0.1"))).isFalse();
        assertThat(Cidr.parse("172.30.0.0/16").orElseThrow().toString()).isEqualTo("172.30.0.0/16");
        assertThat(Cidr.parse("fd00::/8").orElseThrow().contains(addr("fd12::1"))).isTrue();
        assertThat(Cidr.parse("1.2.3.4").orElseThrow().contains(addr("1.2.3.4"))).isTrue();
        for (String bad : List.of("", "10.0.0.0/33", "example.com", "300.1.1.1", "10.0.0.0/x", "::/129")) {
            assertThat(Cidr.parse(bad)).as(bad).isEmpty();
        }
        AddressRules rules = new AddressRules(List.of(Cidr.parse("10.9.0.0/16").orElseThrow()), Set::of);
        assertThat(rules.refusal(addr("10.9.1.1"))).isEmpty();
        assertThat(rules.refusal(addr("10.8.1.1"))).isPresent();
        assertThat(rules.refusal(addr("8.8.8.8"))).isEmpty();
        assertThat(rules.refusal(addr("2606:4700::1111"))).isEmpty();
        assertThat(rules.refusal(addr("64:ff9b::a00:1"))).isPresent();
        assertThat(rules.refusal(addr("ff02::1"))).isPresent();
    }

    @Test
    void patternsAreValidated() {
        assertThat(NetworkFilter.problem("options.networkFilter.whitelist", List.of("(")))
                .hasValueSatisfying(m -> assertThat(m).startsWith("options.networkFilter.whitelist entry \"(\""));
        assertThat(NetworkFilter.problem("w", List.of("x".repeat(257)))).isPresent();
        assertThat(NetworkFilter.problem("w", java.util.Collections.nCopies(65, "a"))).isPresent();
        assertThat(NetworkFilter.problem("w", List.of(""))).isPresent();
        assertThat(NetworkFilter.problem("w", List.of("^api\\.example\\.com$", "github"))).isEmpty();
    }

    private static InetAddress addr(String literal) {
        return Cidr.literal(literal).orElseThrow();
    }

    private EgressLimits limits() {
        return new EgressLimits(32, 1 << 24, 2000, 10_000, 5000, 256, 1000);
    }

    private Proxy proxy(EgressLimits limits, List<String> allowPrivate, NetworkFilter filter) throws IOException {
        EgressProxy proxy = new EgressProxy(limits,
                new AddressRules(allowPrivate.stream().map(c -> Cidr.parse(c).orElseThrow()).toList(), Set::of),
                List.of(), resolver, dialer, Telemetry.NONE);
        return start(proxy, filter);
    }

    private Proxy start(EgressProxy proxy, NetworkFilter filter) throws IOException {
        closing.add(proxy);
        InetSocketAddress at = proxy.listen(new InetSocketAddress(LOOPBACK, 0));
        Grant grant = proxy.grant(LOOPBACK, filter);
        closing.add(grant);
        return new Proxy(proxy, at, grant);
    }

    private Upstream upstream() throws IOException {
        return upstream(5);
    }

    /** An HTTP server on loopback that answers every request with {@code size} bytes ("hello" for 5). */
    private Upstream upstream(int size) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, LOOPBACK);
        closing.add(server);
        Upstream up = new Upstream(server, new CopyOnWriteArrayList<>());
        byte[] body = size == 5 ? "hello".getBytes(StandardCharsets.US_ASCII) : new byte[size];
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s) {
                            up.heads.add(readHead(s));
                            OutputStream out = s.getOutputStream();
                            out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length
                                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                            out.write(body);
                        } catch (IOException e) {
                            // client gone
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        return up;
    }

    private record Upstream(ServerSocket server, List<String> heads) {
        int port() {
            return server.getLocalPort();
        }
    }

    private record Proxy(EgressProxy proxy, InetSocketAddress at, Grant grant) {
        Socket connect() throws IOException {
            Socket s = new Socket(at.getAddress(), at.getPort());
            s.setSoTimeout(10_000);
            return s;
        }

        /** Sends {@code head} and returns everything until the proxy closes. */
        String send(String head) throws IOException {
            try (Socket s = connect()) {
                write(s, head);
                return readAll(s);
            }
        }
    }

    static void write(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    static String readHead(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            b.append((char) c);
        }
        return b.toString();
    }

    static String readAll(Socket s) throws IOException {
        try {
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (java.net.SocketException e) {
            return "";
        }
    }

    /** Records every address the proxy tries to reach and connects to none of them (nothing leaves the machine). */
    static final class RecordingDialer implements Dialer {
        final List<InetSocketAddress> attempts = new CopyOnWriteArrayList<>();

        @Override
        public Socket dial(InetSocketAddress address, int timeoutMs) throws IOException {
            if (address.getAddress().isLoopbackAddress()) {
                return Dialer.TCP.dial(address, timeoutMs);
            }
            attempts.add(address);
            throw new ConnectException("test dialer: not connecting to " + address);
        }
    }

    /** Names the tests define; any other name does not resolve. */
    static final class MapResolver implements Resolver {
        final Map<String, List<InetAddress>> names = new HashMap<>();
        final List<String> asked = new CopyOnWriteArrayList<>();

        void put(String name, InetAddress... addresses) {
            names.put(name, List.of(addresses));
        }

        @Override
        public List<InetAddress> resolve(String host) throws IOException {
            asked.add(host);
            List<InetAddress> a = names.get(host);
            if (a == null) {
                throw new java.net.UnknownHostException(host);
            }
            return a;
        }
    }
}
