package io.isol8.server;

import io.isol8.cli.Application;
import io.isol8.config.Isol8Config;
import io.isol8.core.KeyDigest;
import io.isol8.core.Network;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The real composition root ({@link Application}: routing, admission, sessions, shutdown) over a
 * {@link FakeEngine}, listening on a free port. The in-process counterpart of the Docker suites' server.
 */
final class FakeServer implements AutoCloseable {
    static final String KEY = TestServers.KEY;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final FakeEngine engine = new FakeEngine();
    final Metrics metrics = new Metrics();
    final Application app;
    final URI uri;

    private FakeServer(Isol8Config config) {
        this.app = new Application(config, "1.0.0", 0, Map.of("default", KeyDigest.of(KEY)), engine, metrics);
        this.uri = URI.create("http://127.0.0.1:" + app.port());
    }

    private FakeServer(Isol8Config config, java.util.Optional<io.isol8.auth.KeyStore> store) {
        this.app = new Application(config, "1.0.0", 0, java.util.List.of(new StaticKey("default", KeyDigest.of(KEY), true),
                new StaticKey("other", KeyDigest.of(TestServers.OTHER_KEY), false)), store, engine, metrics);
        this.uri = URI.create("http://127.0.0.1:" + app.port());
    }

    /**
     * With a key store (owned by the server from now on) and the given configuration; keys: {@link #KEY} (principal
     * {@code default}, admin) and {@link TestServers#OTHER_KEY} (principal {@code other}, not admin).
     */
    static FakeServer withStore(Isol8Config config, java.util.Optional<io.isol8.auth.KeyStore> store) {
        return new FakeServer(config, store);
    }

    /** Any request with {@code key} ({@code null}: no Authorization header) and an optional body. */
    HttpResponse<String> send(String method, String path, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri.resolve(path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Built-in defaults, except that {@code bridge} is allowed (for package installs) and admission is as given. */
    static FakeServer start(int maxConcurrent, int maxQueued, long queueTimeoutMs) {
        return start(maxConcurrent, maxQueued, queueTimeoutMs, Isol8Config.builtIn().limits().maxRequestBytes());
    }

    /** As {@link #start(int, int, long)}, with {@code limits.maxRequestBytes} as given. */
    static FakeServer start(int maxConcurrent, int maxQueued, long queueTimeoutMs, long maxRequestBytes) {
        Isol8Config c = Isol8Config.builtIn();
        Isol8Config.Limits l = c.limits();
        Isol8Config.Limits limits = new Isol8Config.Limits(l.timeoutMs(), l.memoryLimit(), l.cpuLimit(),
                l.sandboxSize(), l.tmpSize(), l.pidsLimit(), l.maxOutputSize(), Set.of(Network.NONE, Network.BRIDGE),
                l.allowWritableRootFs(), l.allowedImages(), maxRequestBytes, l.maxFileBytes(), l.maxSessions(),
                l.maxSessionQueue());
        return new FakeServer(new Isol8Config(0, "fake", maxConcurrent, maxQueued, queueTimeoutMs, c.defaults(),
                limits, c.cleanup(), c.pool(), c.images(), c.docker(), c.auth(), c.source()));
    }

    static FakeServer start() {
        return start(10, 100, 30_000);
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri.resolve(path)).header("Authorization", "Bearer " + KEY)
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri.resolve(path)).header("Authorization", "Bearer " + KEY)
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> delete(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri.resolve(path)).header("Authorization", "Bearer " + KEY)
                .timeout(Duration.ofSeconds(30)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code {"request":{"runtime":"python","code":<code>,<extra>}<rest>}}. */
    static String body(String code, String extraRequest, String rest) {
        return "{\"request\":{\"runtime\":\"python\",\"code\":" + Json.string(code)
                + (extraRequest.isEmpty() ? "" : "," + extraRequest) + "}" + (rest.isEmpty() ? "" : "," + rest) + "}";
    }

    /** Opens a raw connection and sends {@code POST /execute/stream}; the caller reads and may drop it. */
    Socket openStream(String body) throws java.io.IOException {
        return io.isol8.testing.RawStream.open(uri.getPort(), KEY, body, 10_000);
    }

    /** {@code POST /execute/stream}, read to its end. */
    HttpResponse<String> stream(String body) throws Exception {
        return post("/execute/stream", body);
    }

    /** {@code POST /execute/stream} in the background. */
    java.util.concurrent.CompletableFuture<HttpResponse<String>> streamAsync(String body) {
        return HTTP.sendAsync(HttpRequest.newBuilder(uri.resolve("/execute/stream")).header("Authorization", "Bearer " + KEY)
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Reads until {@code marker} has arrived; returns what was read. */
    static String readUntil(InputStream in, String marker) throws IOException {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        while (!seen.toString(StandardCharsets.UTF_8).contains(marker)) {
            int n = in.read(buf);
            if (n < 0) {
                throw new IOException("stream ended before " + marker + ": " + seen.toString(StandardCharsets.UTF_8));
            }
            seen.write(buf, 0, n);
        }
        return seen.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        app.close();
    }
}
