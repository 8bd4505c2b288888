package io.isol8.e2e;

import io.isol8.testing.DockerRequired;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.isol8.cli.Application;
import io.isol8.config.Isol8Config;
import io.isol8.core.KeyDigest;
import io.isol8.engine.docker.DockerEngine;
import io.isol8.engine.egress.Dialer;
import io.isol8.engine.egress.Resolver;
import io.isol8.server.Metrics;
import io.isol8.server.StaticKey;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real server on a free port over the real Docker engine, with its own instance id. Docker tests skip
 * when no engine answers, unless {@code -Disol8.it.requireDocker=true} (CI), where they fail.
 */
final class DockerServer implements AutoCloseable {
    static final String KEY = "e2e-key-0123456789abcdef";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final String instanceId = "e2e-" + UUID.randomUUID().toString().substring(0, 8);
    final Application app;
    final URI uri;

    final DockerEngine engine;

    private DockerServer(Isol8Config config) throws Exception {
        this(config, Resolver.SYSTEM, Dialer.TCP);
    }

    private DockerServer(Isol8Config config, Resolver resolver, Dialer dialer) throws Exception {
        Isol8Config.Images images = config.engine().executor() == Isol8Config.Executor.AGENT
                ? AgentImages.of(config.images()) : config.images();
        Isol8Config c = new Isol8Config(config.port(), instanceId, config.maxConcurrent(), config.maxQueued(),
                config.queueTimeoutMs(), config.defaults(), config.limits(), config.cleanup(), config.pool(),
                images, config.docker(), config.auth(), config.source(), config.engine(), config.quotas(), config.audit(),
                config.network(), config.remoteCode(), config.packages());
        Metrics metrics = new Metrics();
        this.engine = new DockerEngine(c, instanceId, "1.0.0", metrics, resolver, dialer);
        engine.start();
        java.util.Optional<io.isol8.auth.KeyStore> store = c.auth().database().isEmpty() ? java.util.Optional.empty()
                : java.util.Optional.of(io.isol8.auth.KeyStore.open(c.auth().database(), java.time.Clock.systemUTC()));
        this.app = new Application(c, "1.0.0", 0, List.of(new StaticKey("default", KeyDigest.of(KEY), true),
                new StaticKey("other", KeyDigest.of("other-" + KEY), false)), store, engine, metrics);
        this.uri = URI.create("http://127.0.0.1:" + app.port());
    }

    /** Starts a server, or skips (fails in CI) when Docker is not there. */
    static DockerServer start(Isol8Config config) {
        DockerRequired.check();
        try {
            return new DockerServer(config);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("could not start the server", e);
        }
    }

    /** Starts a server whose egress proxy uses {@code resolver} and {@code dialer}, or skips as above. */
    static DockerServer start(Isol8Config config, Resolver resolver, Dialer dialer) {
        DockerRequired.check();
        try {
            return new DockerServer(config, resolver, dialer);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("could not start the server", e);
        }
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(uri.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(body)), KEY);
    }

    HttpResponse<String> send(HttpRequest.Builder b, String key) throws Exception {
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(b.timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode execute(String body) throws Exception {
        HttpResponse<String> r = post("/execute", body);
        if (r.statusCode() != 200) {
            fail("status " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** Runs {@code n} copies of {@code call} released together; their results in submission order. */
    static <T> List<T> concurrently(int n, java.util.concurrent.Callable<T> call) throws Exception {
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(n);
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        List<java.util.concurrent.Future<T>> futures = new java.util.ArrayList<>();
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                futures.add(threads.submit(() -> {
                    ready.countDown();
                    go.await();
                    return call.call();
                }));
            }
            if (!ready.await(10, TimeUnit.SECONDS)) {
                fail("the concurrent calls did not start");
            }
            go.countDown();
            List<T> results = new java.util.ArrayList<>();
            for (java.util.concurrent.Future<T> f : futures) {
                results.add(f.get(120, TimeUnit.SECONDS));
            }
            return results;
        }
    }

    /** Containers of this instance that Docker still has. */
    List<String> containers() throws Exception {
        Process p = new ProcessBuilder("docker", "ps", "-aq", "--filter", "label=io.isol8.instance=" + instanceId)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(20, TimeUnit.SECONDS);
        return out.isEmpty() ? List.of() : List.of(out.split("\\s+"));
    }

    /**
     * A dialer for the egress proxy that connects only to addresses {@code allowed} accepts; every other address is
     * added to {@code refused} and never connected to, so nothing leaves this machine even if a check were broken.
     */
    static Dialer dialOnly(java.util.function.Predicate<java.net.InetAddress> allowed,
                           List<java.net.InetSocketAddress> refused) {
        return (address, timeoutMs) -> {
            if (allowed.test(address.getAddress())) {
                return Dialer.TCP.dial(address, timeoutMs);
            }
            refused.add(address);
            throw new java.net.ConnectException("test dialer: not connecting to " + address);
        };
    }

    static String docker(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "docker";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    /** Stops the server; fails if any container of this instance is left. */
    /**
     * Opens a raw connection and sends {@code POST /execute/stream} with {@code body}; the caller reads the
     * answer from the socket (and may drop the connection at any point).
     */
    java.net.Socket openStream(String body) throws java.io.IOException {
        return io.isol8.testing.RawStream.open(uri.getPort(), KEY, body, 60_000);
    }

    @Override
    public void close() throws Exception {
        app.close();
        List<String> left = containers();
        if (!left.isEmpty()) {
            fail("containers left behind: " + left);
        }
    }


    static String body(String runtime, String code, String extraRequest, String rest) throws Exception {
        return "{\"request\":{\"runtime\":\"" + runtime + "\",\"code\":" + JSON.writeValueAsString(code)
                + (extraRequest.isEmpty() ? "" : "," + extraRequest) + "}" + (rest.isEmpty() ? "" : "," + rest) + "}";
    }
}
