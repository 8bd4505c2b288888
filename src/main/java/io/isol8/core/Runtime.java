package io.isol8.core;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The languages isol8 runs. The wire name is the lowercase enum name. */
public enum Runtime {
    PYTHON(".py"), NODE(".mjs"), BUN(".ts"), DENO(".ts"), BASH(".sh");

    private final String defaultExtension;

    Runtime(String defaultExtension) {
        this.defaultExtension = defaultExtension;
    }

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public String defaultExtension() {
        return defaultExtension;
    }

    public static Optional<Runtime> fromWire(String name) {
        return Arrays.stream(values()).filter(r -> r.wireName().equals(name)).findFirst();
    }

    /** {@code "python, node, bun, deno, bash"}. */
    public static String available() {
        return Arrays.stream(values()).map(Runtime::wireName).collect(Collectors.joining(", "));
    }
}
