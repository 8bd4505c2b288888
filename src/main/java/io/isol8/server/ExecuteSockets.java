package io.isol8.server;

import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.webserver.websocket.WsRouting;
import io.isol8.config.Isol8Config;
import io.isol8.engine.Engine;
import io.isol8.engine.Executions;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
    private final ApiKeys keys;
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

    /** @param keys principal name → SHA-256 digest of its key */
    public ExecuteSockets(Isol8Config config, Map<String, byte[]> keys, Engine engine, Executions executions) {
        this(config, keys, engine, executions, Timers.DEFAULT);
    }

    ExecuteSockets(Isol8Config config, Map<String, byte[]> keys, Engine engine, Executions executions, Timers timers) {
        this.timers = timers;
        this.parser = new ExecutionRequestParser(config, engine::hostCpus);
        this.executions = executions;
        this.keys = new ApiKeys(keys);
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

    Optional<String> principal(String key) {
        return keys.principal(key);
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
