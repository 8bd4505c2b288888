package io.isol8.engine.egress;

import io.isol8.core.Cidr;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Which addresses the proxy may connect to: every address except loopback, private, shared, link-local (cloud
 * metadata), multicast, reserved and documentation ranges, IPv6 ranges that are not global or that embed an IPv4
 * address, and the Docker host's own addresses; unless the owner lists the range in {@code network.allowPrivate}.
 */
public final class AddressRules {
    /** Ranges refused unless allowed explicitly. */
    static final List<Cidr> REFUSED = List.of(
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
            "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
            "::/128", "::1/128", "::/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
            "2002::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8").stream()
            .map(c -> Cidr.parse(c).orElseThrow()).toList();
    private static final long HOST_ADDRESSES_NANOS = 5_000_000_000L;

    private final List<Cidr> allowPrivate;
    private final Supplier<Set<InetAddress>> hostAddresses;
    private volatile Set<InetAddress> cached = Set.of();
    private volatile long cachedAt = Long.MIN_VALUE / 2;

    /**
     * @param allowPrivate  ranges the owner opened ({@code network.allowPrivate})
     * @param hostAddresses the addresses of the machine the proxy and the engine run on
     */
    AddressRules(List<Cidr> allowPrivate, Supplier<Set<InetAddress>> hostAddresses) {
        this.allowPrivate = List.copyOf(allowPrivate);
        this.hostAddresses = hostAddresses;
    }

    /** Rules with this machine's interface addresses (looked up again at most every 5 s). */
    public static AddressRules of(List<Cidr> allowPrivate) {
        return new AddressRules(allowPrivate, AddressRules::interfaceAddresses);
    }

    /** Why the proxy must not connect to {@code address}; empty when it may. */
    Optional<String> refusal(InetAddress address) {
        for (Cidr c : allowPrivate) {
            if (c.contains(address)) {
                return Optional.empty();
            }
        }
        for (Cidr c : REFUSED) {
            if (c.contains(address)) {
                return Optional.of("address " + address.getHostAddress() + " is in the refused range " + c);
            }
        }
        if (hostAddresses().contains(address)) {
            return Optional.of("address " + address.getHostAddress() + " belongs to the Docker host");
        }
        return Optional.empty();
    }

    private Set<InetAddress> hostAddresses() {
        long now = System.nanoTime();
        if (now - cachedAt > HOST_ADDRESSES_NANOS) {
            cached = hostAddresses.get();
            cachedAt = now;
        }
        return cached;
    }

    private static Set<InetAddress> interfaceAddresses() {
        Set<InetAddress> all = new HashSet<>();
        try {
            NetworkInterface.networkInterfaces()
                    .forEach(i -> i.inetAddresses().forEach(all::add));
        } catch (SocketException e) {
            // none known: the ranges above still apply
        }
        return Set.copyOf(all);
    }
}
