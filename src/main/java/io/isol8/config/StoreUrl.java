package io.isol8.config;

import java.util.Locale;
import java.util.Optional;

/**
 * The key store's connection string ({@code auth.database}, {@code --auth-db}): {@code sqlite:PATH}, a plain path
 * (SQLite), or {@code postgres://} / {@code postgresql://}. Any other {@code scheme://} is refused, never taken as a
 * file name; {@code mysql://} is named as unsupported.
 */
public final class StoreUrl {
    private StoreUrl() {
    }

    /** Why {@code text} is not a usable connection string, if it is not. Never echoes a password. */
    public static Optional<String> problem(String text) {
        if (text.isBlank()) {
            return Optional.of("the connection string is empty");
        }
        int sep = text.indexOf("://");
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.startsWith("postgres://") || lower.startsWith("postgresql://")) {
            return Optional.empty();
        }
        if (lower.startsWith("mysql://") || lower.startsWith("mariadb://")) {
            return Optional.of("MySQL/MariaDB key stores are not supported; use sqlite:PATH or postgres://");
        }
        if (lower.startsWith("sqlite:")) {
            return text.length() > "sqlite:".length() ? Optional.empty() : Optional.of("sqlite: needs a file path");
        }
        if (sep >= 0 || lower.matches("[a-z][a-z0-9+.-]*:.*")) {
            return Optional.of("unknown scheme; supported: sqlite:PATH (or a file path), postgres://, postgresql://");
        }
        return Optional.empty();
    }
}
