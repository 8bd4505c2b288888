package io.isol8.config;

import io.helidon.config.Config;
import io.isol8.core.Network;

import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Reads single values. Every reader returns the value (the default when the key is absent), or empty after
 * recording a problem. A default is checked like a value from the file, so a ceiling set below a built-in
 * default is reported too.
 */
final class Scalars {
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?");

    private final Problems problems;

    Scalars(Problems problems) {
        this.problems = problems;
    }

    Problems problems() {
        return problems;
    }

    Optional<Long> whole(String key, Optional<Config> node, long fallback, Quantity quantity, Range range) {
        return read(key, node, fallback, quantity::format, quantity::parse, quantity.parseExpectation(range),
                range::contains, range.describe(quantity));
    }

    Optional<Double> number(String key, Optional<Config> node, double fallback, double min, double max,
                            String expected) {
        return read(key, node, fallback, String::valueOf, Scalars::parseNumber, expected,
                value -> value >= min && value <= max, expected);
    }

    Optional<Boolean> bool(String key, Optional<Config> node, boolean fallback) {
        Function<String, Optional<Boolean>> parse = text -> switch (text) {
            case "true" -> Optional.of(true);
            case "false" -> Optional.of(false);
            default -> Optional.empty();
        };
        return read(key, node, fallback, String::valueOf, parse, "true or false", value -> true, "");
    }

    Optional<String> string(String key, Optional<Config> node, String fallback, Predicate<String> valid,
                            String expected) {
        return read(key, node, fallback, Problems::quote, Optional::of, expected, valid, expected);
    }

    /** A network mode that must also be one of {@code allowed}, described by {@code allowedExpectation}. */
    Optional<Network> network(String key, Optional<Config> node, Network fallback, Predicate<Network> allowed,
                              String allowedExpectation) {
        return read(key, node, fallback, Network::wireName, Network::fromWire, "one of none, bridge, host, filtered",
                allowed, allowedExpectation);
    }

    /**
     * The one way every value is read: the node must be a scalar that {@code parse} accepts and that is
     * {@code valid}; an absent key takes {@code fallback}, which must be {@code valid} as well.
     */
    <T> Optional<T> read(String key, Optional<Config> node, T fallback, Function<T, String> format,
                         Function<String, Optional<T>> parse, String parseExpectation, Predicate<T> valid,
                         String validExpectation) {
        if (node.isEmpty()) {
            if (valid.test(fallback)) {
                return Optional.of(fallback);
            }
            problems.badDefault(key, format.apply(fallback), validExpectation);
            return Optional.empty();
        }
        Config value = node.get();
        Optional<T> parsed = value.type() == Config.Type.VALUE
                ? parse.apply(value.asString().orElse(""))
                : Optional.empty();
        if (parsed.isEmpty()) {
            problems.badValue(key, Problems.shown(value), parseExpectation);
            return Optional.empty();
        }
        if (!valid.test(parsed.get())) {
            problems.badValue(key, Problems.shown(value), validExpectation);
            return Optional.empty();
        }
        return parsed;
    }

    private static Optional<Double> parseNumber(String text) {
        if (!NUMBER.matcher(text).matches()) {
            return Optional.empty();
        }
        double value = Double.parseDouble(text);
        return Double.isFinite(value) ? Optional.of(value) : Optional.empty();
    }
}
