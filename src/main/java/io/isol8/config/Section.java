package io.isol8.config;

import io.helidon.config.Config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * One mapping of the file (the top level, {@code defaults}, an {@code auth.keys} entry, ...). Keys are taken by
 * name; {@link #finish()} reports every key that nobody took as unknown, here and in nested sections.
 */
final class Section {
    private final Map<String, Config> children = new TreeMap<>();
    private final Set<String> taken = new HashSet<>();
    private final List<Section> nested = new ArrayList<>();
    private final String prefix;
    private final Scalars scalars;

    /** {@code node} must be a mapping; anything else yields a section without keys. */
    Section(Config node, String prefix, Scalars scalars) {
        this.prefix = prefix;
        this.scalars = scalars;
        if (node.type() == Config.Type.OBJECT) {
            node.asNodeList().orElse(List.of()).forEach(child -> children.put(child.name(), child));
        }
    }

    Scalars scalars() {
        return scalars;
    }

    /** The full dotted key of {@code name}, such as {@code defaults.memoryLimit}. */
    String key(String name) {
        return prefix + name;
    }

    /** The node of {@code name}, marking the key as known. */
    Optional<Config> take(String name) {
        taken.add(name);
        return Optional.ofNullable(children.get(name));
    }

    /** Whether the file sets {@code name} (to something other than nothing); does not mark the key as known. */
    boolean has(String name) {
        return Optional.ofNullable(children.get(name)).filter(child -> !isEmptyScalar(child)).isPresent();
    }

    /** A nested mapping. An absent or empty ({@code key:} with nothing after it) key is an empty section. */
    Section section(String name) {
        Optional<Config> node = take(name).filter(child -> !isEmptyScalar(child));
        Section section = new Section(node.orElse(Config.empty()), key(name) + ".", scalars);
        nested.add(section);
        node.filter(child -> child.type() != Config.Type.OBJECT)
                .ifPresent(child -> scalars.problems().badValue(key(name), Problems.shown(child), "a mapping of keys"));
        return section;
    }

    /**
     * The elements of a list, in order. An absent or empty key is an empty list; anything that is not a list is a
     * problem described by {@code expected}.
     */
    Optional<List<Config>> list(String name, String expected) {
        Optional<Config> node = take(name).filter(child -> !isEmptyScalar(child));
        if (node.isEmpty()) {
            return Optional.of(List.of());
        }
        if (node.get().type() != Config.Type.LIST) {
            scalars.problems().badValue(key(name), Problems.shown(node.get()), expected);
            return Optional.empty();
        }
        return Optional.of(node.get().asNodeList().orElse(List.of()).stream()
                .sorted(Comparator.comparingInt(element -> Integer.parseInt(element.name())))
                .toList());
    }

    Optional<Long> whole(String name, long fallback, Quantity quantity, Range range) {
        return scalars.whole(key(name), take(name), fallback, quantity, range);
    }

    boolean bool(String name, boolean fallback) {
        return scalars.bool(key(name), take(name), fallback).orElse(fallback);
    }

    /** Reports the keys of this section and of its nested sections that were never taken. */
    void finish() {
        children.keySet().stream()
                .filter(name -> !taken.contains(name))
                .forEach(name -> scalars.problems().unknownKey(key(name)));
        nested.forEach(Section::finish);
    }

    private static boolean isEmptyScalar(Config node) {
        return node.type() == Config.Type.VALUE && node.asString().orElse("").isEmpty();
    }
}
