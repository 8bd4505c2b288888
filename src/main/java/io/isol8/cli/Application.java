package io.isol8.cli;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.websocket.WsConfig;
import io.isol8.config.Isol8Config;
import io.isol8.engine.Admission;
import io.isol8.engine.Engine;
import io.isol8.engine.Executions;
import io.isol8.engine.Sessions;
import io.isol8.server.ExecuteSockets;
import io.isol8.server.Metrics;
import io.isol8.server.Routes;
import io.isol8.server.StaticKey;
import io.isol8.server.Tenancy;
import io.isol8.auth.KeyStore;

import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The composition root: engine, sessions, admission, pruner and the web server, and their shutdown in
 * order (sandbox.md §11.3). Used by {@link Main} and by the tests.
 */
public final class Application implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Application.class.getName());
    private static final long GRACE_MS = 5000;
    private static final int MAX_PROLOGUE = 16_384;
    private static final long SOCKETS_MS = 3000;

    private final Engine engine;
    private final Executions executions;
    private final WebServer server;
    private final ExecuteSockets sockets;
    private final ScheduledExecutorService pruner;
    private final Tenancy tenancy;
    private boolean closed;

    /**
     * Starts listening on {@code port} (0 = any free port).
     *
     * @param keys    principal → SHA-256 digest of its key
     * @param metrics the metrics the engine also reports to
     */
    public Application(Isol8Config config, String version, int port, Map<String, byte[]> keys, Engine engine,
                       Metrics metrics) {
        this(config, version, port, Keys.admins(keys, config), java.util.Optional.empty(), engine, metrics);
    }

    /**
     * Starts listening on {@code port} (0 = any free port).
     *
     * @param keys    the configured keys
     * @param store   the key store, if any; owned (closed) by the application from now on
     * @param metrics the metrics the engine also reports to
     */
    public Application(Isol8Config config, String version, int port, java.util.List<StaticKey> keys,
                       java.util.Optional<KeyStore> store, Engine engine, Metrics metrics) {
        this.engine = engine;
        this.tenancy = new Tenancy(config, keys, store, metrics);
        Sessions sessions = new Sessions(engine, config.limits().maxSessions(), tenancy::sessionQuota);
        this.executions = new Executions(engine, sessions,
                new Admission(config.maxConcurrent(), config.maxQueued(), metrics),
                config.queueTimeoutMs(), config.limits().maxSessionQueue(), metrics);
        metrics.bind(version, engine, executions);
        this.sockets = new ExecuteSockets(config, tenancy, engine, executions);
        this.server = WebServer.builder()
                .host("0.0.0.0")
                .port(port)
                .shutdownHook(false)
                .directHandlers(Routes.directHandlers())
                // a 4096-byte path (api.md §5.2), percent-encoded, must fit in a GET /file request line
                .addProtocol(Http1Config.builder().maxPrologueLength(MAX_PROLOGUE).build())
                .addConnectionSelector(Routes.notHttp(MAX_PROLOGUE))
                .addProtocol(WsConfig.builder().maxFrameLength(sockets.maxFrameBytes()).build())
                .routing(r -> Routes.configure(r, config, version, tenancy, engine, executions, metrics))
                .addRouting(sockets.routing())
                .build()
                .start();
        if (!server.isRunning() || server.port() < 0) {
            server.stop();
            tenancy.close();
            throw new IllegalStateException("Address already in use: port " + port);
        }
        this.pruner = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("isol8-pruner").factory());
        if (config.cleanup().autoPrune()) {
            long every = config.cleanup().intervalMs();
            pruner.scheduleWithFixedDelay(() -> {
                try {
                    sessions.prune(config.cleanup().maxContainerAgeMs());
                } catch (RuntimeException e) {
                    LOG.warning("pruning failed: " + e.getMessage());
                }
            }, every, every, TimeUnit.MILLISECONDS);
        }
    }

    public int port() {
        return server.port();
    }

    public Executions executions() {
        return executions;
    }

    /** Stops admitting, lets running work finish (5 s), stops it, removes this instance's containers. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        executions.shutdown(GRACE_MS);
        sockets.shutdown(SOCKETS_MS);
        pruner.shutdownNow();
        server.stop();
        tenancy.close();
        engine.close();
    }
}
