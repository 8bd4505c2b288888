package io.isol8.config;

import io.helidon.config.Config;

import java.util.ArrayList;
import java.util.List;

/** Collects the problems of one configuration file; {@link #throwIfAny()} reports them all together. */
final class Problems {
    private final String file;
    private final List<String> lines = new ArrayList<>();

    Problems(String file) {
        this.file = file;
    }

    void unknownKey(String key) {
        add("unknown key \"" + key + "\"");
    }

    /** {@code key = shown (expected ...)}; {@code shown} is already formatted, see {@link #shown(Config)}. */
    void badValue(String key, String shown, String expected) {
        add(key + " = " + shown + " (expected " + expected + ")");
    }

    /** A key absent from the file whose built-in default does not fit the configured ceilings. */
    void badDefault(String key, String shown, String expected) {
        add(key + " = " + shown + " (built-in default; expected " + expected + ")");
    }

    void add(String detail) {
        lines.add("Invalid configuration (" + file + "): " + detail);
    }

    void throwIfAny() {
        if (!lines.isEmpty()) {
            throw new ConfigException(lines);
        }
    }

    /** A node as it appears in messages: a quoted scalar, {@code [...]} for a list, {@code {...}} for a mapping. */
    static String shown(Config node) {
        return switch (node.type()) {
            case LIST -> node.asNodeList().map(List::isEmpty).orElse(true) ? "[]" : "[...]";
            case OBJECT -> node.asNodeList().map(List::isEmpty).orElse(true) ? "{}" : "{...}";
            default -> quote(node.asString().orElse(""));
        };
    }

    static String quote(String text) {
        return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
    }
}
