package io.isol8.core;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An address range ({@code 10.0.0.0/8}, {@code fd00::/8}, or one address). Parsing never asks DNS.
 *
 * @param network the first address of the range (bits past the prefix are zero)
 * @param bits    the prefix length
 */
public record Cidr(byte[] network, int bits) {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    public Cidr {
        network = network.clone();
        if (bits < 0 || bits > network.length * 8) {
            throw new IllegalArgumentException("prefix length " + bits + " out of range");
        }
        for (int i = 0; i < network.length * 8; i++) {
            if (i >= bits && bit(network, i)) {
                network[i / 8] &= (byte) ~(0x80 >>> (i % 8));
            }
        }
    }

    /** The range {@code text} ({@code address} or {@code address/bits}); empty when it is not one. */
    public static Optional<Cidr> parse(String text) {
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        Optional<InetAddress> a = literal(address);
        if (a.isEmpty()) {
            return Optional.empty();
        }
        byte[] bytes = a.get().getAddress();
        int bits = bytes.length * 8;
        if (slash >= 0) {
            String b = text.substring(slash + 1);
            if (!b.matches("\\d{1,3}") || Integer.parseInt(b) > bytes.length * 8) {
                return Optional.empty();
            }
            bits = Integer.parseInt(b);
        }
        return Optional.of(new Cidr(bytes, bits));
    }

    /**
     * {@code text} as an address when it is an IPv4 or IPv6 literal (no brackets), without asking DNS; an
     * IPv4-mapped IPv6 literal comes back as its IPv4 address.
     */
    public static Optional<InetAddress> literal(String text) {
        if (!IPV4.matcher(text).matches() && !IPV6.matcher(text).matches()) {
            return Optional.empty();
        }
        if (IPV4.matcher(text).matches()) {
            for (String part : text.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    return Optional.empty();
                }
            }
        }
        try {
            return Optional.of(InetAddress.getByName(text)); // a literal: no lookup
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code address} lies in this range (an IPv4 address is never in an IPv6 range, and back). */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.length) {
            return false;
        }
        for (int i = 0; i < bits; i++) {
            if (bit(a, i) != bit(network, i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public byte[] network() {
        return network.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.bits == bits && java.util.Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(network) * 31 + bits;
    }

    @Override
    public String toString() {
        try {
            return InetAddress.getByAddress(network).getHostAddress() + "/" + bits;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean bit(byte[] b, int i) {
        return (b[i / 8] & (0x80 >>> (i % 8))) != 0;
    }
}
