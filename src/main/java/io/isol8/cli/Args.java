package io.isol8.cli;

import io.isol8.bench.Bench;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The parsed command line: a command and its flags (config.md §2.1). A tiny parser keeps the exact
 * messages of the spec: {@code Unknown argument: <arg>}.
 */
record Args(String command, Map<String, String> values, Set<String> switches) {
    private static final Map<String, String> SHORT = Map.of("-p", "--port", "-k", "--key", "-h", "--help", "-V", "--version");
    private static final Map<String, Set<String>> VALUED = Map.of(
            "serve", Set.of("--port", "--key", "--config", "--auth-db"),
            "cleanup", Set.of("--config"),
            "build", Set.of("--config", "--runtime", "--install", "--setup", "--tag"),
            "images", Set.of("--config"),
            "setup", Set.of("--config", "--runtimes", "--base", "--mirror", "--rootfs-dir", "--bun-binary", "--deno-binary"),
            "bench", Bench.VALUES);
    private static final Map<String, Set<String>> SWITCHES = Map.of(
            "serve", Set.of("--debug"),
            "cleanup", Set.of("--all", "--images"),
            "build", Set.of("--force"),
            "images", Set.of(),
            "setup", Set.of("--offline", "--force"),
            "bench", Bench.SWITCHES);

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    static Args parse(String[] argv) {
        List<String> args = new ArrayList<>(List.of(argv));
        if (args.isEmpty()) {
            return new Args("help", Map.of(), Set.of());
        }
        String first = SHORT.getOrDefault(args.getFirst(), args.getFirst());
        switch (first) {
            case "--help", "help" -> {
                return new Args("help", Map.of(), Set.of());
            }
            case "--version", "version" -> {
                return new Args("version", Map.of(), Set.of());
            }
            default -> {
                if (!VALUED.containsKey(first)) {
                    throw new UsageException("Unknown argument: " + args.getFirst());
                }
            }
        }
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> switches = new java.util.HashSet<>();
        for (int i = 1; i < args.size(); i++) {
            String raw = args.get(i);
            String name = raw;
            String value = null;
            int eq = raw.indexOf('=');
            if (raw.startsWith("--") && eq > 0) {
                name = raw.substring(0, eq);
                value = raw.substring(eq + 1);
            }
            name = SHORT.getOrDefault(name, name);
            if (name.equals("--help")) {
                return new Args("help", Map.of("topic", first), Set.of());
            }
            if (VALUED.get(first).contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.size()) {
                        throw new UsageException("Missing value for " + raw);
                    }
                    value = args.get(++i);
                }
                values.put(name, value);
            } else if (SWITCHES.get(first).contains(name) && value == null) {
                switches.add(name);
            } else {
                throw new UsageException("Unknown argument: " + raw);
            }
        }
        return new Args(first, values, Set.copyOf(switches));
    }

    Optional<String> value(String name) {
        return Optional.ofNullable(values.get(name));
    }

    boolean has(String name) {
        return switches.contains(name);
    }
}
