package io.isol8.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The packages a package image holds, or a request asks for: valid {@link PackageSpec} entries of one runtime,
 * normalised (python names after PEP 503, lowercase sorted extras) and sorted, without duplicates. Its
 * {@link #label()} is the comma-joined list that the image label {@code io.isol8.packages} carries.
 *
 * @param runtime the runtime whose registry names the packages
 * @param entries the normalised entries, sorted
 */
public record PackageSet(Language runtime, List<String> entries) {
    private static final Pattern PEP503_SEPARATORS = Pattern.compile("[-_.]+");
    private static final String OPERATOR_START = "=!~<>";

    public PackageSet {
        Objects.requireNonNull(runtime, "runtime");
        entries = List.copyOf(new TreeSet<>(entries));
    }

    /**
     * Validates and normalises {@code entries}.
     *
     * @throws IllegalArgumentException an entry that is not a package of {@code runtime}'s registry (the message
     *                                  names it), or an empty list
     */
    public static PackageSet of(Language runtime, List<String> entries) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("no packages given");
        }
        List<String> normal = new ArrayList<>();
        for (String entry : entries) {
            String e = entry.strip();
            if (!PackageSpec.valid(runtime, e)) {
                throw new IllegalArgumentException("\"" + entry + "\" is not a " + runtime.wireName()
                        + " package name (with an optional version)");
            }
            normal.add(normalise(runtime, e));
        }
        return new PackageSet(runtime, normal);
    }

    /**
     * Reads an {@code io.isol8.packages} label. Python version clauses contain commas too; a piece that starts
     * with a version operator continues the entry before it.
     *
     * @throws IllegalArgumentException the label does not hold valid entries
     */
    public static PackageSet parseLabel(Language runtime, String label) {
        List<String> entries = new ArrayList<>();
        for (String piece : label.split(",")) {
            if (!piece.isEmpty() && OPERATOR_START.indexOf(piece.charAt(0)) >= 0 && !entries.isEmpty()) {
                entries.set(entries.size() - 1, entries.getLast() + "," + piece);
            } else {
                entries.add(piece);
            }
        }
        return of(runtime, entries);
    }

    /** The value of the {@code io.isol8.packages} label. */
    public String label() {
        return String.join(",", entries);
    }

    /**
     * Whether every entry of {@code request} is in this set: after normalisation it equals an entry, or it names no
     * version and an entry has its name. Entries that are not valid packages are never covered.
     */
    public boolean covers(List<String> request) {
        for (String raw : request) {
            String e = raw.strip();
            if (!PackageSpec.valid(runtime, e)) {
                return false;
            }
            String wanted = normalise(runtime, e);
            boolean found = entries.contains(wanted) || !hasVersion(runtime, wanted)
                    && entries.stream().anyMatch(have -> name(runtime, have).equals(wanted));
            if (!found) {
                return false;
            }
        }
        return true;
    }

    /** The entry without its version: a python name with its extras, an npm name, a deno specifier's name. */
    static String name(Language runtime, String entry) {
        return switch (runtime) {
            case PYTHON -> {
                int i = 0;
                while (i < entry.length() && OPERATOR_START.indexOf(entry.charAt(i)) < 0) {
                    i++;
                }
                yield entry.substring(0, i);
            }
            case NODE, BUN -> npmName(entry);
            case DENO -> {
                int colon = entry.indexOf(':');
                yield entry.substring(0, colon + 1) + npmName(entry.substring(colon + 1));
            }
            case BASH -> entry;
        };
    }

    private static boolean hasVersion(Language runtime, String entry) {
        return !name(runtime, entry).equals(entry);
    }

    private static String npmName(String spec) {
        int at = spec.indexOf('@', 1);
        return at < 0 ? spec : spec.substring(0, at);
    }

    /** PEP 503 for python names and extras (extras sorted); npm and deno entries are case-sensitive as they are. */
    static String normalise(Language runtime, String entry) {
        if (runtime != Language.PYTHON) {
            return entry;
        }
        String name = name(runtime, entry);
        String version = entry.substring(name.length());
        String extras = "";
        int bracket = name.indexOf('[');
        if (bracket >= 0) {
            TreeSet<String> sorted = new TreeSet<>();
            for (String extra : name.substring(bracket + 1, name.length() - 1).split(",")) {
                sorted.add(pep503(extra));
            }
            extras = "[" + String.join(",", sorted) + "]";
            name = name.substring(0, bracket);
        }
        return pep503(name) + extras + version;
    }

    private static String pep503(String name) {
        return PEP503_SEPARATORS.matcher(name).replaceAll("-").toLowerCase(Locale.ROOT);
    }
}
