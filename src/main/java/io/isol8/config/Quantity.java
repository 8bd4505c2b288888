package io.isol8.config;

import java.util.Optional;
import java.util.regex.Pattern;

/** Whole-number kinds of values: how they are parsed, named in messages and printed. */
enum Quantity {
    INTEGER("an integer"),
    MILLIS("a whole number of milliseconds"),
    BYTES("a whole number of bytes"),
    SIZE("a size");

    private static final Pattern WHOLE = Pattern.compile("-?\\d+");
    private static final Pattern FRACTION_OF_A_BYTE = Pattern.compile("(?i)\\s*\\d+\\.\\d+\\s*b?\\s*");

    private final String noun;

    Quantity(String noun) {
        this.noun = noun;
    }

    String noun() {
        return noun;
    }

    Optional<Long> parse(String text) {
        if (this == SIZE) {
            if (FRACTION_OF_A_BYTE.matcher(text).matches()) {
                return Optional.empty();
            }
            var bytes = Sizes.parse(text);
            return bytes.isPresent() ? Optional.of(bytes.getAsLong()) : Optional.empty();
        }
        if (!WHOLE.matcher(text).matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(text));
        } catch (NumberFormatException tooLarge) {
            return Optional.empty();
        }
    }

    /** What a value that does not even parse is told to look like. */
    String parseExpectation(Range range) {
        return this == SIZE ? "a size such as 512m or 1g" : range.describe(this);
    }

    String format(long value) {
        return this == SIZE ? Sizes.format(value) : Long.toString(value);
    }
}
