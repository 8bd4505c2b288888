package io.isol8.cli;

import io.isol8.config.Isol8Config;

import io.isol8.core.KeyDigest;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/** Turns the command-line key and {@code auth.keys} into principal → SHA-256 digest. */
final class Keys {
    private static final Logger LOG = Logger.getLogger(Keys.class.getName());

    private Keys() {
    }

    /** The configured keys: {@code default} (from {@code --key}) is an admin, {@code auth.keys} as marked. */
    static java.util.List<io.isol8.server.StaticKey> admins(Map<String, byte[]> keys, Isol8Config config) {
        java.util.Set<String> admins = new java.util.HashSet<>();
        if (config.auth().keys().stream().noneMatch(e -> e.name().equals("default"))) {
            admins.add("default"); // the --key / ISOL8_API_KEY key
        }
        config.auth().keys().stream().filter(Isol8Config.KeyEntry::admin).forEach(e -> admins.add(e.name()));
        return keys.entrySet().stream()
                .map(e -> new io.isol8.server.StaticKey(e.getKey(), e.getValue(), admins.contains(e.getKey()))).toList();
    }

    static Map<String, byte[]> of(Optional<String> defaultKey, Isol8Config config) {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        defaultKey.ifPresent(k -> {
            if (k.length() < 16) {
                LOG.warning("API key for principal \"default\" is shorter than 16 characters");
            }
            keys.put("default", KeyDigest.of(k));
        });
        for (Isol8Config.KeyEntry e : config.auth().keys()) {
            if (keys.containsKey(e.name())) {
                throw new Main.StartupException("auth.keys names \"" + e.name()
                        + "\", which is taken by the key from --key / ISOL8_API_KEY");
            }
            keys.put(e.name(), e.key().map(KeyDigest::of).orElseGet(() -> HexFormat.of().parseHex(e.sha256().orElseThrow())));
        }
        if (keys.isEmpty()) {
            throw new Main.StartupException("API key required. Use --key or ISOL8_API_KEY, or configure auth.keys.");
        }
        return keys;
    }
}
