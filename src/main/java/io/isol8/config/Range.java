package io.isol8.config;

import java.util.Optional;

/**
 * Inclusive bounds of a whole-number key.
 *
 * @param ceilingKey the key the upper bound comes from (such as {@code limits.memoryLimit}), or null
 */
record Range(long min, long max, String ceilingKey) {
    static Range between(long min, long max) {
        return new Range(min, max, null);
    }

    static Range atLeast(long min) {
        return new Range(min, Long.MAX_VALUE, null);
    }

    /** From {@code min} up to the value of {@code ceilingKey}; without a valid ceiling only {@code min} applies. */
    static Range upTo(long min, Optional<Long> ceiling, String ceilingKey) {
        return ceiling.map(max -> new Range(min, max, ceilingKey)).orElseGet(() -> atLeast(min));
    }

    boolean contains(long value) {
        return value >= min && value <= max;
    }

    String describe(Quantity quantity) {
        String from = quantity.noun() + " from " + quantity.format(min);
        if (max == Long.MAX_VALUE) {
            return quantity.noun() + " of at least " + quantity.format(min);
        }
        if (ceilingKey != null) {
            return from + " up to " + ceilingKey + " = " + quantity.format(max);
        }
        return from + " to " + quantity.format(max);
    }
}
