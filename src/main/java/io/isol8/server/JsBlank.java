package io.isol8.server;

/**
 * Blankness as JavaScript's {@code String.prototype.trim()} sees it, which is how isol8 0.20 decides
 * whether {@code code}, {@code codeUrl} or {@code cmd} was given. It differs from
 * {@link String#isBlank()}: no-break spaces and U+FEFF count as blank, U+001C to U+001F do not.
 */
final class JsBlank {
    private JsBlank() {
    }

    static boolean test(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (!whitespace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean whitespace(char c) {
        return switch (c) {
            case '\t', '\n', '\u000B', '\f', '\r', '\u2028', '\u2029', '\uFEFF' -> true;
            default -> Character.getType(c) == Character.SPACE_SEPARATOR;
        };
    }
}
