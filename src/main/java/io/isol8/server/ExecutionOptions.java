package io.isol8.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isol8.config.Isol8Config;
import io.isol8.config.Sizes;
import io.isol8.core.ContainerSettings;
import io.isol8.core.Isol8Exception.BadRequest;
import io.isol8.core.Network;
import io.isol8.core.NetworkFilter;
import io.isol8.core.Language;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code options} object merged over {@code defaults} and checked against {@code limits}
 * (api.md §6, config.md §5). Nothing is clamped: a value outside its range is a {@link BadRequest}.
 *
 * @param timeoutMs             {@code options.timeoutMs} when given ({@code request.timeoutMs} wins over it)
 * @param maxOutputBytes        effective cap per output stream
 * @param secrets               secret environment, in request order
 * @param container             effective container settings
 * @param explicitContainerKeys container-level keys the request set, with the value as the client wrote it
 * @param logNetwork            {@code options.logNetwork}: list the filtered network's connections in the result
 */
record ExecutionOptions(Optional<Long> timeoutMs, long maxOutputBytes, Map<String, String> secrets,
                        ContainerSettings container, Map<String, String> explicitContainerKeys, boolean logNetwork) {
    private static final Set<String> KNOWN = Set.of("timeoutMs", "memoryLimit", "cpuLimit", "pidsLimit",
            "sandboxSize", "tmpSize", "maxOutputSize", "network", "networkFilter", "readonlyRootFs", "image",
            "security", "persist", "secrets", "mode", "audit", "poolStrategy", "poolSize", "debug", "logNetwork",
            "remoteCode");
    private static final long MIN_MEMORY = 6L << 20;
    private static final long MIN_TMPFS = 1L << 20;
    private static final BigDecimal MIN_CPUS = new BigDecimal("0.01");
    private static final long MIN_PIDS = 8;
    private static final String SEE_SECCOMP = ": containers always use Docker's default seccomp profile";

    ExecutionOptions {
        secrets = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(secrets));
        explicitContainerKeys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(explicitContainerKeys));
    }

    /**
     * Parses {@code options} for an execution of {@code runtime}.
     *
     * @param hostCpus CPUs of the Docker host; {@code cpuLimit} may not exceed it ({@code 0}: unknown, not checked)
     * @throws BadRequest with the exact api.md §6 message
     */
    static ExecutionOptions parse(Optional<ObjectNode> options, Language runtime, Isol8Config config, int hostCpus) {
        JsonFields f = new JsonFields(options.orElseGet(JsonNodeFactory.instance::objectNode), "options.");
        f.rejectUnknown(KNOWN);
        Isol8Config.Defaults defaults = config.defaults();
        Isol8Config.Limits limits = config.limits();
        Map<String, String> explicit = new LinkedHashMap<>();

        Optional<Long> timeoutMs = f.integer("timeoutMs")
                .map(v -> checkTimeout("options.timeoutMs", v, limits.timeoutMs()));
        long memory = size(f, "memoryLimit", MIN_MEMORY, limits.memoryLimit(), explicit)
                .orElse(defaults.memoryLimit());
        double cpus = cpus(f, limits.cpuLimit(), hostCpus, explicit).orElse(defaults.cpuLimit());
        long pids = f.integer("pidsLimit").map(v -> {
            explicit.put("pidsLimit", v.toString());
            return range(f, "pidsLimit", v, MIN_PIDS, limits.pidsLimit());
        }).orElse(defaults.pidsLimit());
        long sandbox = size(f, "sandboxSize", MIN_TMPFS, limits.sandboxSize(), explicit)
                .orElse(defaults.sandboxSize());
        long tmp = size(f, "tmpSize", MIN_TMPFS, limits.tmpSize(), explicit).orElse(defaults.tmpSize());
        long maxOutput = f.integer("maxOutputSize").map(v -> atMost(f, "maxOutputSize", v, limits.maxOutputSize()))
                .orElse(defaults.maxOutputSize());
        Network network = f.string("network").map(v -> {
            explicit.put("network", v);
            return network(v, limits.allowedNetworks());
        }).orElse(defaults.network());
        NetworkFilter filter = f.object("networkFilter").map(o -> {
            NetworkFilter parsed = networkFilter(o);
            explicit.put("networkFilter", o.toString());
            return parsed;
        }).orElse(NetworkFilter.NONE);
        if (network != Network.FILTERED && !filter.equals(NetworkFilter.NONE)) {
            throw new BadRequest("options.networkFilter needs options.network \"filtered\" (this execution runs with "
                    + "network \"" + network.wireName() + "\")");
        }
        boolean logNetwork = f.bool("logNetwork").orElse(false);
        boolean readonlyRootFs = f.bool("readonlyRootFs").map(v -> {
            explicit.put("readonlyRootFs", v.toString());
            if (!v && !limits.allowWritableRootFs()) {
                throw new BadRequest("options.readonlyRootFs=false is not allowed by this server");
            }
            return v;
        }).orElse(true);
        String defaultImage = config.images().of(runtime);
        String image = f.string("image").map(v -> {
            explicit.put("image", v);
            if (!v.equals(defaultImage) && !limits.allowedImages().contains(v)) {
                throw f.invalid("image", "\"" + v + "\" is not allowed by this server");
            }
            return v;
        }).orElse(defaultImage);
        f.object("security").ifPresent(ExecutionOptions::checkSecurity);
        if (f.bool("persist").orElse(false)) {
            throw f.invalid("persist", "is not supported by this server");
        }
        Map<String, String> secrets = f.stringMap("secrets").orElse(Map.of());
        secrets.forEach((name, value) -> {
            if (!EnvNames.valid(name)) {
                throw f.invalid("secrets", "key \"" + name + "\" is not a valid environment variable name");
            }
            if (value.indexOf('\0') >= 0) {
                throw f.invalid("secrets", "must not contain NUL characters");
            }
        });
        ContainerSettings container = new ContainerSettings(image, memory, cpus, pids, sandbox, tmp, network,
                readonlyRootFs, filter);
        return new ExecutionOptions(timeoutMs, maxOutput, secrets, container, explicit, logNetwork);
    }

    /** A {@code timeoutMs} from {@code field} ({@code request.timeoutMs} or {@code options.timeoutMs}). */
    static long checkTimeout(String field, BigInteger value, long limit) {
        if (value.signum() < 1) {
            throw new BadRequest(field + " must be at least 1");
        }
        if (value.compareTo(BigInteger.valueOf(limit)) > 0) {
            throw new BadRequest(field + " " + value + " exceeds limits.timeoutMs (" + limit + ")");
        }
        return value.longValueExact();
    }

    private static Optional<Long> size(JsonFields f, String key, long min, long limit, Map<String, String> explicit) {
        return f.string(key).map(raw -> {
            explicit.put(key, raw);
            long bytes = Sizes.parse(raw).orElseGet(() -> {
                if (Sizes.parse(raw.replaceAll("[0-9]+", "1")).isPresent()) { // well-formed, beyond 8 EiB
                    throw f.invalid(key, raw + " exceeds limits." + key + " (" + Sizes.format(limit) + ")");
                }
                throw new BadRequest(key.equals("memoryLimit")
                        ? "Invalid memory limit format: \"" + raw + "\". Use e.g. \"512m\", \"1g\"."
                        : "Invalid size format for options." + key + ": \"" + raw + "\". Use e.g. \"512m\", \"1g\".");
            });
            if (bytes < min) {
                throw f.invalid(key, raw + " is below the minimum of " + Sizes.format(min));
            }
            if (bytes > limit) {
                throw f.invalid(key, raw + " exceeds limits." + key + " (" + Sizes.format(limit) + ")");
            }
            return bytes;
        });
    }

    private static Optional<Double> cpus(JsonFields f, double limit, int hostCpus, Map<String, String> explicit) {
        return f.number("cpuLimit").map(v -> {
            explicit.put("cpuLimit", v.toString());
            if (v.compareTo(MIN_CPUS) < 0) {
                throw f.invalid("cpuLimit", "must be at least " + MIN_CPUS);
            }
            BigDecimal ceiling = BigDecimal.valueOf(limit);
            if (v.compareTo(ceiling) > 0) {
                throw f.invalid("cpuLimit", v + " exceeds limits.cpuLimit ("
                        + ceiling.stripTrailingZeros().toPlainString() + ")");
            }
            if (hostCpus > 0 && v.compareTo(BigDecimal.valueOf(hostCpus)) > 0) {
                throw f.invalid("cpuLimit", v + " exceeds the Docker host's " + hostCpus + " CPUs");
            }
            return v.doubleValue();
        });
    }

    private static long range(JsonFields f, String key, BigInteger value, long min, long max) {
        if (value.compareTo(BigInteger.valueOf(min)) < 0 || value.compareTo(BigInteger.valueOf(max)) > 0) {
            throw f.invalid(key, "must be between " + min + " and " + max);
        }
        return value.longValueExact();
    }

    private static long atMost(JsonFields f, String key, BigInteger value, long limit) {
        if (value.signum() < 1) {
            throw f.invalid(key, "must be at least 1");
        }
        if (value.compareTo(BigInteger.valueOf(limit)) > 0) {
            throw f.invalid(key, value + " exceeds limits." + key + " (" + limit + ")");
        }
        return value.longValueExact();
    }

    private static Network network(String name, Set<Network> allowed) {
        return Network.fromWire(name).filter(allowed::contains).orElseThrow(() -> new BadRequest(
                "options.network \"" + name + "\" is not allowed by this server (limits.allowedNetworks: "
                        + Arrays.stream(Network.values()).filter(allowed::contains).map(Network::wireName)
                        .collect(Collectors.joining(", ", "[", "]")) + ")"));
    }

    /** {@code {"whitelist": [regex…], "blacklist": [regex…]}}, each list optional and checked. */
    private static NetworkFilter networkFilter(ObjectNode filter) {
        JsonFields f = new JsonFields(filter, "options.networkFilter.");
        f.rejectUnknown(Set.of("whitelist", "blacklist"));
        List<String> whitelist = f.stringList("whitelist").orElse(List.of());
        List<String> blacklist = f.stringList("blacklist").orElse(List.of());
        NetworkFilter.problem("options.networkFilter.whitelist", whitelist).ifPresent(m -> {
            throw new BadRequest(m);
        });
        NetworkFilter.problem("options.networkFilter.blacklist", blacklist).ifPresent(m -> {
            throw new BadRequest(m);
        });
        return new NetworkFilter(whitelist, blacklist);
    }

    /** Only {@code {}} or {@code {"seccomp":"strict"}}: Docker's default profile is not negotiable. */
    private static void checkSecurity(ObjectNode security) {
        JsonFields f = new JsonFields(security, "options.security.");
        f.rejectUnknown(Set.of("seccomp", "customProfilePath"));
        f.string("seccomp").filter(v -> !v.equals("strict")).ifPresent(v -> {
            throw f.invalid("seccomp", "\"" + v + "\" is not allowed" + SEE_SECCOMP);
        });
        if (f.string("customProfilePath").isPresent()) {
            throw f.invalid("customProfilePath", "is not allowed" + SEE_SECCOMP);
        }
    }
}
