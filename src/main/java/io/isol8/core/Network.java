package io.isol8.core;

import java.util.Arrays;
import java.util.Optional;

/**
 * Container network modes a server owner may allow. {@code FILTERED}: an internal network whose only way out is
 * the server's egress proxy, which applies a {@link NetworkFilter}.
 */
public enum Network {
    NONE, BRIDGE, HOST, FILTERED;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Optional<Network> fromWire(String name) {
        return Arrays.stream(values()).filter(n -> n.wireName().equals(name)).findFirst();
    }
}
