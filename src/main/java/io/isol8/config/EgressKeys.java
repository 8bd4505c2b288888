package io.isol8.config;

import io.helidon.config.Config;
import io.isol8.config.Isol8Config.Egress;
import io.isol8.core.Cidr;
import io.isol8.core.NetworkFilter;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.isol8.config.Quantity.SIZE;
import static io.isol8.config.Quantity.INTEGER;
import static io.isol8.config.Quantity.MILLIS;
import static io.isol8.config.Range.atLeast;
import static io.isol8.config.Range.between;

/** {@code network.*} (the egress proxy of the filtered network) and the host pattern lists of {@code limits}. */
final class EgressKeys {
    private EgressKeys() {
    }

    static Egress read(Section s, Egress b) {
        List<String> ranges = new ArrayList<>();
        List<Config> items = s.list("allowPrivate", "a list of address ranges such as 172.30.0.0/16")
                .orElse(List.of());
        for (int i = 0; i < items.size(); i++) {
            s.scalars().string(s.key("allowPrivate") + "[" + i + "]", Optional.of(items.get(i)), "0.0.0.0/32",
                    text -> Cidr.parse(text).isPresent(), "an address range such as 172.30.0.0/16 or fd00::/8")
                    .ifPresent(ranges::add);
        }
        return new Egress(ranges,
                s.whole("maxConnections", b.maxConnections(), INTEGER, between(1, 10_000))
                        .orElse((long) b.maxConnections()).intValue(),
                s.whole("maxBytes", b.maxBytes(), SIZE, atLeast(1)).orElse(b.maxBytes()),
                s.whole("connectTimeoutMs", b.connectTimeoutMs(), MILLIS, between(1, 600_000))
                        .orElse(b.connectTimeoutMs()),
                s.whole("idleTimeoutMs", b.idleTimeoutMs(), MILLIS, between(1, 3_600_000)).orElse(b.idleTimeoutMs()),
                s.whole("headerTimeoutMs", b.headerTimeoutMs(), MILLIS, between(1, 600_000))
                        .orElse(b.headerTimeoutMs()),
                s.whole("maxTotalConnections", b.maxTotalConnections(), INTEGER, between(1, 100_000))
                        .orElse((long) b.maxTotalConnections()).intValue());
    }

    static Isol8Config.RemoteCode remoteCode(Section s, Isol8Config.RemoteCode b) {
        return new Isol8Config.RemoteCode(s.bool("enabled", b.enabled()), patterns(s, "allowedHosts"),
                s.bool("allowInsecure", b.allowInsecure()),
                s.whole("maxCodeBytes", b.maxCodeBytes(), SIZE, between(1, 64L << 20)).orElse(b.maxCodeBytes()),
                s.whole("fetchTimeoutMs", b.fetchTimeoutMs(), MILLIS, between(1, 300_000)).orElse(b.fetchTimeoutMs()),
                s.bool("requireHash", b.requireHash()));
    }

    /** A list of host patterns (regular expressions, as {@code options.networkFilter} takes them). */
    static List<String> patterns(Section s, String name) {
        List<Config> items = s.list(name, "a list of regular expressions").orElse(List.of());
        List<String> patterns = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            s.scalars().string(s.key(name) + "[" + i + "]", Optional.of(items.get(i)), ".",
                    text -> NetworkFilter.problem(name, List.of(text)).isEmpty(),
                    "a regular expression of 1-" + NetworkFilter.MAX_PATTERN_LENGTH + " characters")
                    .ifPresent(patterns::add);
        }
        if (patterns.size() > NetworkFilter.MAX_PATTERNS) {
            s.scalars().problems().add(s.key(name) + ": at most " + NetworkFilter.MAX_PATTERNS + " patterns");
        }
        return patterns;
    }
}
