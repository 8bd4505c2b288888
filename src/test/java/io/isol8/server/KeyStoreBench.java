package io.isol8.server;

import io.isol8.auth.CreatedKey;
import io.isol8.auth.KeyStore;
import io.isol8.config.Isol8Config;
import io.isol8.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Numbers for the key store (not part of the suite: {@code mvn test -Dtest=KeyStoreBench}): the cost of a
 * stored-key check with a warm cache, in-process and over HTTP, and requests per second over HTTP with 1 000 keys
 * in the store, each request with a random one of them, next to the same load with the configured key.
 */
class KeyStoreBench {
    private static final int KEYS = 1_000;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void sqlite() throws Exception {
        bench("sqlite", "sqlite:" + dir.resolve("bench.db"));
    }

    @Test
    void postgres() throws Exception {
        try (PostgresServer pg = PostgresServer.start("bench")) {
            bench("postgresql", pg.createDatabase("bench"));
        }
    }

    private void bench(String label, String url) throws Exception {
        List<String> keys = new ArrayList<>();
        try (KeyStore store = KeyStore.open(url, Clock.systemUTC())) {
            for (int i = 0; i < KEYS; i++) {
                CreatedKey k = store.create("bench-" + i, "tenant-" + (i % 50), 86_400_000);
                keys.add(k.key());
            }
            try (DbKeys cache = new DbKeys(store, Clock.systemUTC(), 5_000, new Metrics(), 0)) {
                keys.forEach(cache::lookup);
                long[] nanos = new long[200_000];
                for (int i = 0; i < nanos.length; i++) {
                    String k = keys.get(i % KEYS);
                    long t = System.nanoTime();
                    cache.lookup(k);
                    nanos[i] = System.nanoTime() - t;
                }
                Arrays.sort(nanos);
                System.out.printf("%s in-process stored-key check, warm cache: p50 %.1f µs, p99 %.1f µs%n", label,
                        nanos[nanos.length / 2] / 1000.0, nanos[nanos.length * 99 / 100] / 1000.0);
            }
        }
        Isol8Config c = Isol8Config.builtIn();
        try (FakeServer server = FakeServer.withStore(c.withTenancy(c.auth().withDatabase(url), c.quotas(), c.audit()),
                Optional.of(KeyStore.open(url, Clock.systemUTC())))) {
            String one = keys.get(0);
            for (int i = 0; i < 2_000; i++) {
                get(server, "/auth/whoami", one);
            }
            long[] nanos = new long[5_000];
            for (int i = 0; i < nanos.length; i++) {
                long t = System.nanoTime();
                get(server, "/auth/whoami", one);
                nanos[i] = System.nanoTime() - t;
            }
            Arrays.sort(nanos);
            System.out.printf("%s HTTP GET /auth/whoami with a stored key, warm cache: p50 %.2f ms, p99 %.2f ms%n", label,
                    nanos[nanos.length / 2] / 1e6, nanos[nanos.length * 99 / 100] / 1e6);
            System.out.printf("%s GET /sessions, 16 clients, random stored key of %d: %.0f req/s%n", label, KEYS,
                    rate(server, () -> keys.get(ThreadLocalRandom.current().nextInt(KEYS))));
            System.out.printf("%s GET /sessions, 16 clients, the configured key: %.0f req/s%n", label,
                    rate(server, () -> FakeServer.KEY));
        }
    }

    private static double rate(FakeServer server, java.util.function.Supplier<String> key) throws Exception {
        AtomicLong done = new AtomicLong();
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 16; i++) {
                pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        HttpResponse<String> r = get(server, "/sessions", key.get());
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException(r.statusCode() + " " + r.body());
                        }
                        done.incrementAndGet();
                    }
                    return null;
                });
            }
        }
        return done.get() / ((System.nanoTime() - start) / 1e9);
    }

    private static HttpResponse<String> get(FakeServer server, String path, String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.uri + path)).header("Authorization", "Bearer " + key)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
