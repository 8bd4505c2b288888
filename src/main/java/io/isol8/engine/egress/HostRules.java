package io.isol8.engine.egress;

import io.isol8.core.NetworkFilter;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which host names one sandbox may ask for: the owner's {@code limits.allowedHosts} (empty: any), then the
 * request's blacklist (wins), then its whitelist (empty: any). Patterns are found anywhere in the name,
 * case-insensitive, like isol8 0.20's {@code grep -E}. A pattern that backtracks for too long counts as a match of
 * the blacklist and a miss of the other lists: a pathological pattern can only refuse, never open.
 */
final class HostRules {
    /** Steps a single match may take before it is abandoned. */
    static final int MATCH_BUDGET = 200_000;

    private final List<Pattern> allowedHosts;
    private final List<Pattern> whitelist;
    private final List<Pattern> blacklist;

    HostRules(NetworkFilter filter, List<String> ownerAllowedHosts) {
        this.allowedHosts = compile(ownerAllowedHosts);
        this.whitelist = compile(filter.whitelist());
        this.blacklist = compile(filter.blacklist());
    }

    /** Why {@code host} (lowercase) may not be asked for; empty when it may. */
    Optional<String> refusal(String host) {
        if (!allowedHosts.isEmpty() && !anyFinds(allowedHosts, host, false)) {
            return Optional.of("host is not in the server's limits.allowedHosts");
        }
        if (anyFinds(blacklist, host, true)) {
            return Optional.of("host matches the blacklist");
        }
        if (!whitelist.isEmpty() && !anyFinds(whitelist, host, false)) {
            return Optional.of("host is not in the whitelist");
        }
        return Optional.empty();
    }

    static boolean anyFinds(List<Pattern> patterns, String host, boolean onExhaustion) {
        for (Pattern p : patterns) {
            try {
                if (p.matcher(new Budgeted(host, new int[] {MATCH_BUDGET})).find()) {
                    return true;
                }
            } catch (Exhausted e) {
                if (onExhaustion) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<Pattern> compile(List<String> patterns) {
        return patterns.stream().map(p -> Pattern.compile(p, Pattern.CASE_INSENSITIVE)).toList();
    }

    /** A string that gives up after a number of character reads (regex backtracking is bounded by it). */
    private record Budgeted(String text, int[] left) implements CharSequence {
        @Override
        public int length() {
            return text.length();
        }

        @Override
        public char charAt(int index) {
            if (--left[0] < 0) {
                throw new Exhausted();
            }
            return text.charAt(index);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return new Budgeted(text.substring(start, end), left);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    private static final class Exhausted extends RuntimeException {
        Exhausted() {
            super(null, null, false, false);
        }
    }
}
