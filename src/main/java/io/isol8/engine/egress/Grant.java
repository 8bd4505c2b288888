package io.isol8.engine.egress;

import io.isol8.core.NetworkLogEntry;

import java.net.InetAddress;
import java.net.Socket;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What one sandbox (one client address) may do through the proxy, and what it did: its host rules, its open
 * connections (bounded), its byte budget and its network log. Whoever registered it closes it; closing
 * unregisters the address and closes every connection. Thread-safe.
 */
public final class Grant implements AutoCloseable {
    private final EgressProxy proxy;
    private final InetAddress client;
    final HostRules rules;
    private final EgressLimits limits;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong bytesIn = new AtomicLong();
    private final AtomicLong bytesOut = new AtomicLong();
    private final TrackedSockets sockets = new TrackedSockets();
    private final ReentrantLock logLock = new ReentrantLock();
    private final List<Slot> log = new ArrayList<>();
    private volatile InstallWindow install;

    Grant(EgressProxy proxy, InetAddress client, HostRules rules, EgressLimits limits) {
        this.proxy = proxy;
        this.client = client;
        this.rules = rules;
        this.limits = limits;
    }

    /** The sandbox's address on the filtered network. */
    public InetAddress client() {
        return client;
    }

    /** Takes one of the sandbox's connection slots; false when all are in use or the grant is closed. */
    boolean tryOpen() {
        if (sockets.isShut()) {
            return false;
        }
        if (open.incrementAndGet() > limits.maxConnections()) {
            open.decrementAndGet();
            return false;
        }
        return true;
    }

    void released() {
        open.decrementAndGet();
    }

    /** Tracks a socket of this sandbox so that {@link #closeConnections()} ends it; false (and closed) if too late. */
    boolean track(Socket socket) {
        return sockets.track(socket);
    }

    void untrack(Socket socket) {
        sockets.untrack(socket);
    }

    /**
     * Counts bytes relayed; false once the sandbox's budget is spent (its connections are then closed).
     */
    boolean count(long in, long out) {
        long total = bytesIn.addAndGet(in) + bytesOut.addAndGet(out);
        if (total > limits.maxBytes()) {
            closeConnections();
            return false;
        }
        return true;
    }

    /** Records a decision; the returned slot is ended when the connection closes. */
    Slot log(String method, String host, Optional<String> path, Optional<String> refusal) {
        Slot slot = new Slot(Instant.now(), System.nanoTime(), method, host, path, refusal);
        logLock.lock();
        try {
            if (log.size() < limits.maxLogEntries()) {
                log.add(slot);
            }
        } finally {
            logLock.unlock();
        }
        return slot;
    }

    /** The log entries since the last call, in the order the proxy decided them; open connections so far. */
    public List<NetworkLogEntry> drain() {
        logLock.lock();
        try {
            List<NetworkLogEntry> entries = log.stream().map(Slot::entry).toList();
            log.clear();
            return entries;
        } finally {
            logLock.unlock();
        }
    }

    /** Bytes received from upstreams so far. */
    public long bytesIn() {
        return bytesIn.get();
    }

    /** Bytes sent to upstreams so far. */
    public long bytesOut() {
        return bytesOut.get();
    }

    /** Connections open now. */
    public int openConnections() {
        return open.get();
    }

    /**
     * Opens the install phase's window: until it is closed, the sandbox may also reach {@code hostPatterns}
     * (regular expressions) and {@code trustedHosts} (exact names, exempt from the address rules).
     */
    public InstallWindow openInstall(List<String> hostPatterns, Set<String> trustedHosts) {
        InstallWindow window = new InstallWindow(this, hostPatterns, trustedHosts);
        install = window;
        return window;
    }

    void closeInstall(InstallWindow window) {
        if (install == window) {
            install = null;
        }
    }

    /** The open install window, or null. */
    InstallWindow install() {
        return install;
    }

    /** Closes every connection of the sandbox; new ones are still accepted. */
    public void closeConnections() {
        sockets.closeAll();
    }

    /** Unregisters the sandbox's address and closes its connections. Idempotent. */
    @Override
    public void close() {
        sockets.shut();
        proxy.unregister(this);
    }

    /** One decision; {@link #end()} fixes the duration of an allowed connection. */
    static final class Slot {
        private final Instant at;
        private final long startNanos;
        private final String method;
        private final String host;
        private final Optional<String> path;
        private final Optional<String> refusal;
        private volatile long endNanos = -1;

        Slot(Instant at, long startNanos, String method, String host, Optional<String> path,
             Optional<String> refusal) {
            this.at = at;
            this.startNanos = startNanos;
            this.method = method;
            this.host = host;
            this.path = path;
            this.refusal = refusal;
        }

        void end() {
            endNanos = System.nanoTime();
        }

        NetworkLogEntry entry() {
            long end = endNanos < 0 ? System.nanoTime() : endNanos;
            long ms = refusal.isPresent() ? 0 : (end - startNanos) / 1_000_000;
            return new NetworkLogEntry(at, method, host, path, refusal.isEmpty(), ms, refusal);
        }
    }
}
