package io.isol8.config;

import java.util.List;

/**
 * The configuration cannot be used: the file named by {@code --config} or {@code ISOL8_CONFIG} is missing, or
 * the file is invalid. Carries every problem found, one line each, so all of them can be reported at once.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Immutable; never empty. */
    private final List<String> problems;

    /** One problem per entry, each a complete sentence such as {@code Invalid configuration (f): ...}. */
    public ConfigException(List<String> problems) {
        super(null, null, false, false);
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("problems must not be empty");
        }
        this.problems = List.copyOf(problems);
    }

    /** A single problem. */
    public ConfigException(String problem) {
        this(List.of(problem));
    }

    /** Every problem found, in the order found. */
    public List<String> problems() {
        return problems;
    }

    /** The problems, one per line. */
    @Override
    public String getMessage() {
        return String.join("\n", problems);
    }
}
