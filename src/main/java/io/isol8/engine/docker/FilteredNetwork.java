package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Network;
import io.isol8.core.Isol8Exception;
import io.isol8.engine.egress.EgressProxy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * The Docker side of the {@code filtered} network: one internal bridge per server instance (labelled, no route
 * out, no traffic between its containers, no IPv6), the egress proxy listening on the bridge's gateway address,
 * and the {@link HostGuard} that leaves the proxy as the only thing on the host a container can reach. Set up on
 * first use; torn down on close.
 */
final class FilteredNetwork implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(FilteredNetwork.class.getName());
    static final String LABEL = "io.isol8.network";

    private final DockerClient docker;
    private final String instanceId;
    private final boolean localEngine;
    private final EgressProxy proxy;
    private final int proxyPort;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Ready ready;
    private HostGuard guard;

    /** Where programs find the proxy. */
    record Ready(String networkName, InetSocketAddress proxy) {
        /** The proxy variables of every phase of a filtered sandbox. */
        Map<String, String> env() {
            String url = "http://" + proxy.getAddress().getHostAddress() + ":" + proxy.getPort();
            Map<String, String> env = new LinkedHashMap<>();
            env.put("HTTP_PROXY", url);
            env.put("HTTPS_PROXY", url);
            env.put("http_proxy", url);
            env.put("https_proxy", url);
            env.put("NO_PROXY", "localhost,127.0.0.1");
            env.put("no_proxy", "localhost,127.0.0.1");
            return env;
        }
    }

    FilteredNetwork(DockerClient docker, String instanceId, boolean localEngine, EgressProxy proxy, int proxyPort) {
        this.docker = docker;
        this.instanceId = instanceId;
        this.localEngine = localEngine;
        this.proxy = proxy;
        this.proxyPort = proxyPort;
    }

    EgressProxy proxy() {
        return proxy;
    }

    String name() {
        return "isol8-filtered-" + instanceId;
    }

    /** The bridge interface's name on the host (at most 15 characters). */
    String bridge() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(instanceId.getBytes(StandardCharsets.UTF_8));
            return "isl8f" + HexFormat.of().formatHex(digest).substring(0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The network, the proxy and the guard, set up on first use.
     *
     * @throws Isol8Exception.Unavailable the engine is remote, or any part could not be set up (nothing is reachable)
     */
    Ready ensure() {
        Ready r = ready;
        if (r != null) {
            return r;
        }
        lock.lock();
        try {
            if (ready != null) {
                return ready;
            }
            if (!localEngine) {
                throw new Isol8Exception.Unavailable("The filtered network needs a Docker engine on this machine "
                        + "(docker.host is remote): its egress proxy runs in this server");
            }
            InetAddress gateway = gateway(network());
            InetSocketAddress at;
            try {
                at = proxy.listen(new InetSocketAddress(gateway, proxyPort));
            } catch (IOException e) {
                throw new Isol8Exception.Unavailable("The filtered network is unavailable: the egress proxy cannot "
                        + "listen on " + gateway.getHostAddress() + ":" + proxyPort + " (" + e.getMessage() + ")", e);
            }
            guard = HostGuard.install(bridge(), gateway, at.getPort());
            ready = new Ready(name(), at);
            LOG.info("filtered network " + name() + " ready: egress proxy on " + gateway.getHostAddress() + ":"
                    + at.getPort());
            return ready;
        } finally {
            lock.unlock();
        }
    }

    private Network network() {
        try {
            return docker.inspectNetworkCmd().withNetworkId(name()).exec();
        } catch (NotFoundException e) {
            String id = docker.createNetworkCmd().withName(name()).withDriver("bridge").withInternal(true)
                    .withEnableIpv6(false).withCheckDuplicate(true)
                    .withLabels(Map.of(Containers.MANAGED, "true", Containers.INSTANCE, instanceId, LABEL, "filtered"))
                    .withOptions(Map.of("com.docker.network.bridge.name", bridge(),
                            "com.docker.network.bridge.enable_icc", "false",
                            "com.docker.network.bridge.enable_ip_masquerade", "false"))
                    .exec().getId();
            return docker.inspectNetworkCmd().withNetworkId(id).exec();
        }
    }

    private static InetAddress gateway(Network n) {
        List<Network.Ipam.Config> configs = n.getIpam() == null ? List.of() : n.getIpam().getConfig();
        for (Network.Ipam.Config c : configs) {
            if (c.getGateway() != null && !c.getGateway().contains(":")) {
                try {
                    return InetAddress.getByName(c.getGateway());
                } catch (IOException e) {
                    break;
                }
            }
        }
        throw new Isol8Exception.Unavailable("The filtered network " + n.getName() + " has no IPv4 gateway");
    }

    /** The address of {@code containerId} on the filtered network. */
    InetAddress addressOf(String containerId) {
        var networks = docker.inspectContainerCmd(containerId).exec().getNetworkSettings().getNetworks();
        var endpoint = networks == null ? null : networks.get(name());
        if (endpoint == null || endpoint.getIpAddress() == null || endpoint.getIpAddress().isEmpty()) {
            throw new Isol8Exception.Unavailable("The container has no address on the filtered network");
        }
        try {
            return InetAddress.getByName(endpoint.getIpAddress());
        } catch (IOException e) {
            throw new Isol8Exception.Unavailable("The container's address on the filtered network is malformed", e);
        }
    }

    /** Stops the proxy, removes the guard and the network (after this instance's containers are gone). */
    @Override
    public void close() {
        proxy.close();
        lock.lock();
        try {
            if (guard != null) {
                guard.close();
                guard = null;
            }
            if (ready != null) {
                try {
                    docker.removeNetworkCmd(name()).exec();
                } catch (RuntimeException e) {
                    LOG.warning("could not remove network " + name() + ": " + e.getMessage());
                }
                ready = null;
            }
        } finally {
            lock.unlock();
        }
    }
}
