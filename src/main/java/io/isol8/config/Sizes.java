package io.isol8.config;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Size strings such as {@code 512m} or {@code 1.5g}: binary multiples; a bare number is bytes. */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("^(\\d+(\\.\\d+)?)\\s*([kmgt]?)b?$", Pattern.CASE_INSENSITIVE);
    private static final String UNITS = "kmgt";

    private Sizes() {
    }

    /** Bytes of {@code text}, or empty when it is not a size string (or overflows). */
    public static OptionalLong parse(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            return OptionalLong.empty();
        }
        String unit = m.group(3).toLowerCase(Locale.ROOT);
        int shift = unit.isEmpty() ? 0 : 10 * (UNITS.indexOf(unit) + 1);
        try {
            BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift));
            return OptionalLong.of(bytes.setScale(0, java.math.RoundingMode.FLOOR).longValueExact());
        } catch (ArithmeticException e) {
            return OptionalLong.empty();
        }
    }

    /** The shortest exact size string: {@code 2g}, {@code 512m}, {@code 1000}. */
    public static String format(long bytes) {
        for (int i = UNITS.length(); i >= 1; i--) {
            long unit = 1L << (10 * i);
            if (bytes != 0 && bytes % unit == 0) {
                return (bytes / unit) + String.valueOf(UNITS.charAt(i - 1));
            }
        }
        return Long.toString(bytes);
    }
}
