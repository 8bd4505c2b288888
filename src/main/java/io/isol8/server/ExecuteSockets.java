package io.isol8.server;

import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.webserver.websocket.WsRouting;
import io.isol8.config.Isol8Config;
import io.isol8.engine.Engine;
import io.isol8.engine.Executions;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The WebSocket route {@code GET /execute/ws} (api.md §14): one {@link ExecuteSocket} per connection, and the
 * open sockets, so that shutdown can close them with 1001 after the executions' drain.
 */
public final class ExecuteSockets {
    static final String PATH = "/execute/ws";

    private final ExecutionRequestParser parser;
    private final Executions executions;
    private final Tenancy tenancy;
    private final Engine engine;
    private final long maxMessageBytes;
    private final Timers timers;
    private final Set<ExecuteSocket> open = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    /**
     * The socket's clocks (api.md §14.3): {@code execute} expected within {@code executeWaitMs}, a ping every
     * {@code pingMs}, closed after {@code idleMs} without an inbound frame, checked every {@code tickMs}.
     */
    record Timers(long executeWaitMs, long pingMs, long idleMs, long tickMs) {
        static final Timers DEFAULT = new Timers(10_000, 30_000, 90_000, 500);
    }

    /** @param tenancy the keys, key store, quotas and audit log the HTTP routes use too */
    public ExecuteSockets(Isol8Config config, Tenancy tenancy, Engine engine, Executions executions) {
        this(config, tenancy, engine, executions, Timers.DEFAULT);
    }

    ExecuteSockets(Isol8Config config, Tenancy tenancy, Engine engine, Executions executions, Timers timers) {
        this.timers = timers;
        this.tenancy = tenancy;
        this.parser = new ExecutionRequestParser(config, engine::hostCpus, engine::packageImageCovers);
        this.executions = executions;
        this.engine = engine;
        this.maxMessageBytes = config.limits().maxRequestBytes();
    }

    /** The WebSocket routing of the server. */
    public WsRouting.Builder routing() {
        return WsRouting.builder().endpoint(PATH, () -> new ExecuteSocket(this));
    }

    /** The largest frame or reassembled message a client may send (the {@code /execute} body limit). */
    public int maxFrameBytes() {
        return (int) Math.min(Integer.MAX_VALUE, maxMessageBytes);
    }

    /**
     * Closes every open socket with 1001 once its run has ended (call after the executions' drain), waiting at
     * most {@code timeoutMs} for the close frames to go out.
     */
    public void shutdown(long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        lock.lock();
        try {
            while (true) {
                boolean done = true;
                for (ExecuteSocket s : open) {
                    s.shutdownIfIdle();
                    done &= s.drained();
                }
                long left = deadline - System.nanoTime();
                if (done || left <= 0) {
                    return;
                }
                changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** The key of an upgrade request: {@code Authorization}, else the subprotocol {@code isol8.bearer.<key>}. */
    static Optional<String> key(Headers headers) {
        if (headers.contains(HeaderNames.AUTHORIZATION)) {
            String value = headers.get(HeaderNames.AUTHORIZATION).get().strip();
            return value.isEmpty() ? Optional.empty() : Optional.of(ApiKeys.token(value));
        }
        return offered(headers).stream().filter(p -> p.startsWith(ExecuteSocket.BEARER_PREFIX))
                .map(p -> p.substring(ExecuteSocket.BEARER_PREFIX.length())).filter(k -> !k.isEmpty()).findFirst();
    }

    /** The subprotocols a client offers ({@code Sec-WebSocket-Protocol}, comma-separated, maybe repeated). */
    static List<String> offered(Headers headers) {
        var name = HeaderNames.create("Sec-WebSocket-Protocol");
        if (!headers.contains(name)) {
            return List.of();
        }
        return headers.get(name).allValues().stream().flatMap(v -> Arrays.stream(v.split(",")))
                .map(String::strip).filter(p -> !p.isEmpty()).toList();
    }

    /**
     * The caller of an upgrade request with {@code key}, if the key is valid and the tenant may make a request now.
     * Anything else (unknown key, key store down, rate exceeded) is answered over plain HTTP by the authentication
     * filter.
     */
    Optional<Caller> caller(String key) {
        try {
            Optional<Caller> caller = AuthFilter.identify(tenancy.keys, tenancy.stored, key);
            if (caller.isPresent() && tenancy.tenants.admitRequest(caller.get().tenant()).isPresent()) {
                return Optional.empty();
            }
            return caller;
        } catch (io.isol8.core.Isol8Exception.Unavailable e) {
            return Optional.empty();
        }
    }

    Tenants tenants() {
        return tenancy.tenants;
    }

    Audit audit() {
        return tenancy.audit;
    }

    Timers timers() {
        return timers;
    }

    ExecutionRequestParser parser() {
        return parser;
    }

    Executions executions() {
        return executions;
    }

    long maxMessageBytes() {
        return maxMessageBytes;
    }

    boolean stopping() {
        return executions.stopping();
    }

    /** Whether interactive runs may use a terminal. */
    boolean terminals() {
        return engine.interactive();
    }

    void opened(ExecuteSocket socket) {
        open.add(socket);
    }

    void closed(ExecuteSocket socket) {
        open.remove(socket);
        runEnded();
    }

    void runEnded() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
