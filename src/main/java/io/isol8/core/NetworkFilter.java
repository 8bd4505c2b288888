package io.isol8.core;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The hosts a program on the {@code filtered} network may reach (isol8 0.20's {@code networkFilter}): regular
 * expressions found anywhere in the host name, case-insensitive; the blacklist wins; an empty whitelist allows
 * every host the owner's rules allow. Compared by its pattern texts (session binding).
 *
 * @param whitelist patterns of hosts that may be reached (empty: any)
 * @param blacklist patterns of hosts that may never be reached
 */
public record NetworkFilter(List<String> whitelist, List<String> blacklist) {
    /** No filter: every host the owner allows. */
    public static final NetworkFilter NONE = new NetworkFilter(List.of(), List.of());
    /** At most this many patterns per list. */
    public static final int MAX_PATTERNS = 64;
    /** At most this many characters per pattern. */
    public static final int MAX_PATTERN_LENGTH = 256;

    public NetworkFilter {
        whitelist = List.copyOf(whitelist);
        blacklist = List.copyOf(blacklist);
    }

    /**
     * Why {@code patterns} cannot be used, as a message naming {@code field} and the offending entry; empty when
     * every pattern is usable.
     */
    public static Optional<String> problem(String field, List<String> patterns) {
        if (patterns.size() > MAX_PATTERNS) {
            return Optional.of(field + " allows at most " + MAX_PATTERNS + " patterns");
        }
        for (String p : patterns) {
            if (p.isEmpty()) {
                return Optional.of(field + " entries must not be empty");
            }
            if (p.length() > MAX_PATTERN_LENGTH) {
                return Optional.of(field + " entries must be at most " + MAX_PATTERN_LENGTH + " characters");
            }
            try {
                Pattern.compile(p, Pattern.CASE_INSENSITIVE);
            } catch (PatternSyntaxException e) {
                return Optional.of(field + " entry \"" + p + "\" is not a valid regular expression: "
                        + e.getDescription());
            }
        }
        return Optional.empty();
    }
}
