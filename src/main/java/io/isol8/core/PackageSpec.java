package io.isol8.core;

import java.util.regex.Pattern;

/**
 * Which {@code installPackages} entries a runtime's installer may receive: a package of its own registry, named the
 * way that registry names packages, with an optional version. Locations (URLs, paths, {@code git+…}), options
 * (anything starting with {@code -}), whitespace and shell characters are never valid, so an entry can only ever be
 * one argument naming one registry package.
 */
public final class PackageSpec {
    /** PEP 508 name, optional extras, optional version specifiers ({@code requests[socks]>=2.31,<3}). */
    private static final String PEP508_NAME = "[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?";
    private static final String PEP440_CLAUSE = "(?:===|==|!=|~=|>=|<=|>|<)[A-Za-z0-9.*+!_-]+";
    private static final Pattern PYTHON = Pattern.compile(PEP508_NAME
            + "(?:\\[" + PEP508_NAME + "(?:," + PEP508_NAME + ")*])?"
            + "(?:" + PEP440_CLAUSE + "(?:," + PEP440_CLAUSE + ")*)?");
    /** npm name, scoped or not, with an optional version, range or tag ({@code @types/node@^20}). */
    private static final String NPM_NAME = "(?:@[A-Za-z0-9][A-Za-z0-9._~-]*/)?[A-Za-z0-9][A-Za-z0-9._~-]*";
    private static final Pattern NPM = Pattern.compile(NPM_NAME + "(?:@[A-Za-z0-9.^~<>=*|_+-]+)?");
    /** deno: {@code npm:<npm package>} or {@code jsr:@scope/name[@version]}. */
    private static final Pattern DENO = Pattern.compile("npm:" + NPM.pattern()
            + "|jsr:@[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*(?:@[A-Za-z0-9.^~<>=*|_+-]+)?");
    private static final int NPM_NAME_MAX = 214;

    private PackageSpec() {
    }

    /** Whether {@code entry} names one package of {@code runtime}'s registry (bash has none). */
    public static boolean valid(Language runtime, String entry) {
        return switch (runtime) {
            case PYTHON -> PYTHON.matcher(entry).matches();
            case NODE, BUN -> NPM.matcher(entry).matches() && npmNameLength(entry) <= NPM_NAME_MAX;
            case DENO -> DENO.matcher(entry).matches()
                    && (!entry.startsWith("npm:") || npmNameLength(entry.substring(4)) <= NPM_NAME_MAX);
            case BASH -> false;
        };
    }

    /** The length of the name part of an npm spec (without its {@code @version}). */
    private static int npmNameLength(String spec) {
        int at = spec.indexOf('@', 1);
        return at < 0 ? spec.length() : at;
    }
}
