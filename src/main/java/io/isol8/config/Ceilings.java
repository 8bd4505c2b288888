package io.isol8.config;

import io.helidon.config.Config;
import io.isol8.config.Isol8Config.Defaults;
import io.isol8.config.Isol8Config.Limits;
import io.isol8.core.Network;

import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static io.isol8.config.Quantity.BYTES;
import static io.isol8.config.Quantity.INTEGER;
import static io.isol8.config.Quantity.MILLIS;
import static io.isol8.config.Quantity.SIZE;
import static io.isol8.config.Range.atLeast;
import static io.isol8.config.Range.between;
import static io.isol8.config.Range.upTo;

/**
 * {@code limits.*}, then {@code defaults.*} within them. A ceiling that is itself invalid bounds nothing, so one
 * mistake is reported once.
 */
final class Ceilings {
    private static final Limits L = Isol8Config.builtIn().limits();
    private static final Defaults D = Isol8Config.builtIn().defaults();
    private static final long MIB = 1L << 20;
    private static final String NETWORKS = "a non-empty list of none, bridge, host, filtered";

    private final Optional<Long> timeoutMs;
    private final Optional<Long> memoryLimit;
    private final Optional<Double> cpuLimit;
    private final Optional<Long> sandboxSize;
    private final Optional<Long> tmpSize;
    private final Optional<Long> pidsLimit;
    private final Optional<Long> maxOutputSize;
    private final Optional<Set<Network>> allowedNetworks;
    private final Limits limits;

    Ceilings(Section s) {
        timeoutMs = s.whole("timeoutMs", L.timeoutMs(), MILLIS, atLeast(1));
        memoryLimit = s.whole("memoryLimit", L.memoryLimit(), SIZE, atLeast(6 * MIB));
        cpuLimit = s.scalars().number(s.key("cpuLimit"), s.take("cpuLimit"), L.cpuLimit(), Double.MIN_VALUE,
                Double.MAX_VALUE, "a number greater than 0");
        sandboxSize = s.whole("sandboxSize", L.sandboxSize(), SIZE, atLeast(MIB));
        tmpSize = s.whole("tmpSize", L.tmpSize(), SIZE, atLeast(MIB));
        pidsLimit = s.whole("pidsLimit", L.pidsLimit(), INTEGER, atLeast(8));
        maxOutputSize = s.whole("maxOutputSize", L.maxOutputSize(), BYTES, atLeast(1));
        allowedNetworks = networks(s);
        limits = new Limits(timeoutMs.orElse(L.timeoutMs()), memoryLimit.orElse(L.memoryLimit()),
                cpuLimit.orElse(L.cpuLimit()), sandboxSize.orElse(L.sandboxSize()), tmpSize.orElse(L.tmpSize()),
                pidsLimit.orElse(L.pidsLimit()), maxOutputSize.orElse(L.maxOutputSize()),
                allowedNetworks.orElse(L.allowedNetworks()),
                s.bool("allowWritableRootFs", L.allowWritableRootFs()),
                ImageKeys.references(s, "allowedImages"),
                s.whole("maxRequestBytes", L.maxRequestBytes(), BYTES, atLeast(1024)).orElse(L.maxRequestBytes()),
                s.whole("maxFileBytes", L.maxFileBytes(), BYTES, atLeast(1)).orElse(L.maxFileBytes()),
                s.whole("maxSessions", L.maxSessions(), INTEGER, between(0, Integer.MAX_VALUE))
                        .orElse((long) L.maxSessions()).intValue(),
                s.whole("maxSessionQueue", L.maxSessionQueue(), INTEGER, between(0, Integer.MAX_VALUE))
                        .orElse((long) L.maxSessionQueue()).intValue(),
                EgressKeys.patterns(s, "allowedHosts"));
    }

    Limits limits() {
        return limits;
    }

    /** {@code defaults.*}: each within its {@code limits.*} ceiling; the network among the allowed ones. */
    Defaults defaults(Section s) {
        String allowed = "one of limits.allowedNetworks: " + allowedNetworks.map(Ceilings::names).orElse("")
                + (allowedNetworks.map(set -> set.contains(Network.FILTERED)).orElse(false)
                ? " (filtered is chosen per request, never by default)" : "");
        Network network = s.scalars().network(s.key("network"), s.take("network"), D.network(),
                n -> n != Network.FILTERED && allowedNetworks.map(set -> set.contains(n)).orElse(true),
                allowed).orElse(D.network());
        String cpuRange = cpuLimit.map(max -> "a number from 0.01 up to limits.cpuLimit = " + max)
                .orElse("a number of at least 0.01");
        double cpu = s.scalars().number(s.key("cpuLimit"), s.take("cpuLimit"), D.cpuLimit(), 0.01,
                cpuLimit.orElse(Double.MAX_VALUE), cpuRange).orElse(D.cpuLimit());
        long memory = s.whole("memoryLimit", D.memoryLimit(), SIZE, upTo(6 * MIB, memoryLimit, "limits.memoryLimit"))
                .orElse(D.memoryLimit());
        long timeout = s.whole("timeoutMs", D.timeoutMs(), MILLIS, upTo(1, timeoutMs, "limits.timeoutMs"))
                .orElse(D.timeoutMs());
        long sandbox = s.whole("sandboxSize", D.sandboxSize(), SIZE, upTo(MIB, sandboxSize, "limits.sandboxSize"))
                .orElse(D.sandboxSize());
        long tmp = s.whole("tmpSize", D.tmpSize(), SIZE, upTo(MIB, tmpSize, "limits.tmpSize"))
                .orElse(D.tmpSize());
        long pids = s.whole("pidsLimit", D.pidsLimit(), INTEGER, upTo(8, pidsLimit, "limits.pidsLimit"))
                .orElse(D.pidsLimit());
        long output = s.whole("maxOutputSize", D.maxOutputSize(), BYTES, upTo(1, maxOutputSize, "limits.maxOutputSize"))
                .orElse(D.maxOutputSize());
        return new Defaults(network, memory, cpu, timeout, sandbox, tmp, pids, output);
    }

    private static Optional<Set<Network>> networks(Section s) {
        String key = s.key("allowedNetworks");
        if (!s.has("allowedNetworks")) {
            s.take("allowedNetworks");
            return Optional.of(L.allowedNetworks());
        }
        Optional<List<Config>> items = s.list("allowedNetworks", NETWORKS);
        if (items.isEmpty()) {
            return Optional.empty();
        }
        if (items.get().isEmpty()) {
            s.scalars().problems().badValue(key, "[]", NETWORKS);
            return Optional.empty();
        }
        Set<Network> networks = EnumSet.noneOf(Network.class);
        boolean valid = true;
        for (int i = 0; i < items.get().size(); i++) {
            Optional<Network> network = s.scalars().network(key + "[" + i + "]", Optional.of(items.get().get(i)),
                    Network.NONE, n -> true, "");
            network.ifPresent(networks::add);
            valid &= network.isPresent();
        }
        return valid ? Optional.of(networks) : Optional.empty();
    }

    private static String names(Set<Network> networks) {
        return networks.stream().sorted().map(Network::wireName).collect(Collectors.joining(", "));
    }
}
