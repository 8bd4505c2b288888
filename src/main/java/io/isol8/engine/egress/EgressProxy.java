package io.isol8.engine.egress;

import io.isol8.core.NetworkFilter;
import io.isol8.engine.Telemetry;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The egress proxy of the {@code filtered} network: an HTTP proxy ({@code CONNECT} tunnels and absolute-URI plain
 * requests) on virtual threads. A connection is served only when it comes from an address with a {@link Grant};
 * the proxy resolves the name itself, checks every address against {@link AddressRules}, and connects only to an
 * address it checked. Whatever goes wrong, the program gets no connection (fails closed).
 *
 * <p>Bounded: at most {@link EgressLimits#maxTotalConnections()} client connections at once (more are closed at
 * accept), {@link EgressLimits#maxConnections()} per sandbox, a head of at most 16 KiB within the header timeout,
 * an idle timeout and a byte budget per sandbox.
 */
public final class EgressProxy implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EgressProxy.class.getName());

    final EgressLimits limits;
    final AddressRules addresses;
    final Resolver resolver;
    final Dialer dialer;
    final Telemetry telemetry;
    private final List<String> allowedHosts;
    private final Semaphore connections;
    private final Map<InetAddress, Grant> grants = new ConcurrentHashMap<>();
    private final List<ServerSocket> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    /**
     * @param allowedHosts the owner's {@code limits.allowedHosts} (empty: any host the addresses allow)
     * @param telemetry    receives allowed/blocked connections and relayed bytes
     */
    public EgressProxy(EgressLimits limits, AddressRules addresses, List<String> allowedHosts, Resolver resolver,
                       Dialer dialer, Telemetry telemetry) {
        this.limits = limits;
        this.addresses = addresses;
        this.allowedHosts = List.copyOf(allowedHosts);
        this.resolver = resolver;
        this.dialer = dialer;
        this.telemetry = telemetry;
        this.connections = new Semaphore(limits.maxTotalConnections());
    }

    /**
     * Listens on {@code bind} (port 0: any free port) and serves connections on virtual threads until closed.
     *
     * @return the address actually bound
     */
    public InetSocketAddress listen(InetSocketAddress bind) throws IOException {
        ServerSocket server = new ServerSocket();
        server.bind(bind, 256);
        listeners.add(server);
        if (closed) {
            server.close();
            throw new IOException("proxy closed");
        }
        Thread.ofVirtual().name("isol8-egress-accept").start(() -> accept(server));
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /**
     * Lets {@code client} use the proxy with {@code filter} until the returned grant is closed.
     *
     * @throws IllegalStateException the address already has a grant
     */
    public Grant grant(InetAddress client, NetworkFilter filter) {
        Grant g = new Grant(this, client, new HostRules(filter, allowedHosts), limits);
        if (grants.putIfAbsent(client, g) != null) {
            throw new IllegalStateException("address " + client.getHostAddress() + " already has a grant");
        }
        return g;
    }

    void unregister(Grant g) {
        grants.remove(g.client(), g);
    }

    Grant grantOf(InetAddress client) {
        return grants.get(client);
    }

    /** Client connections held now (tests: bounded under a flood). */
    public int activeConnections() {
        return limits.maxTotalConnections() - connections.availablePermits();
    }

    private void accept(ServerSocket server) {
        while (!closed && !server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!closed && !server.isClosed()) {
                    LOG.log(Level.WARNING, "egress proxy accept failed", e);
                }
                continue;
            }
            if (!connections.tryAcquire()) {
                close(s);
                continue;
            }
            try {
                Thread.ofVirtual().name("isol8-egress").start(() -> {
                    try {
                        new ProxyConnection(this, s).serve();
                    } finally {
                        connections.release();
                    }
                });
            } catch (RuntimeException | Error e) {
                connections.release();
                close(s);
                throw e;
            }
        }
    }

    static void close(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /** Stops listening and closes every grant's connections. */
    @Override
    public void close() {
        closed = true;
        listeners.forEach(EgressProxy::close);
        grants.values().forEach(Grant::closeConnections);
    }
}
