package io.isol8.core;

import java.util.Arrays;
import java.util.Optional;

/** Container network modes a server owner may allow. */
public enum Network {
    NONE, BRIDGE, HOST;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Optional<Network> fromWire(String name) {
        return Arrays.stream(values()).filter(n -> n.wireName().equals(name)).findFirst();
    }
}
