package io.isol8.core;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The runtimes isol8 runs (the wire field {@code runtime}); the wire name is the lowercase enum name. */
public enum Language {
    PYTHON(".py"), NODE(".mjs"), BUN(".ts"), DENO(".ts"), BASH(".sh");

    private final String defaultExtension;

    Language(String defaultExtension) {
        this.defaultExtension = defaultExtension;
    }

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public String defaultExtension() {
        return defaultExtension;
    }

    public static Optional<Language> fromWire(String name) {
        return Arrays.stream(values()).filter(r -> r.wireName().equals(name)).findFirst();
    }

    /** {@code "python, node, bun, deno, bash"}. */
    public static String available() {
        return Arrays.stream(values()).map(Language::wireName).collect(Collectors.joining(", "));
    }
}
