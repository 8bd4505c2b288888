package io.isol8.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Validation and textual normalisation of paths inside a sandbox container (api.md §5.2).
 *
 * <p>Symbolic links are never resolved: the result is a purely textual normalisation, which is
 * enough because the program can only reach what the sandbox user can reach in its own container.
 */
public final class ContainerPath {
    /** Home and default working directory of the sandbox user; a tmpfs mount. */
    public static final String SANDBOX = "/sandbox";
    /** The second tmpfs mount. */
    public static final String TMP = "/tmp";

    static final int MAX_PATH_BYTES = 4096;
    static final int MAX_COMPONENT_BYTES = 255;

    private ContainerPath() {
    }

    /**
     * The normalised absolute form of a file path, or empty when it is not acceptable: empty, with
     * NUL or another control character, over 4096 bytes, with a component over 255 bytes, or not
     * strictly below {@code /sandbox/} or {@code /tmp/} after resolving {@code .} and {@code ..}.
     * A relative path is resolved against {@code /sandbox}.
     */
    public static Optional<String> resolve(String raw) {
        return normalise(raw).filter(p -> strictlyBelow(p, SANDBOX) || strictlyBelow(p, TMP));
    }

    /**
     * The normalised absolute form of a working directory, or empty when it is not {@code /sandbox}
     * or below it. The character and length rules are those of {@link #resolve(String)}.
     */
    public static Optional<String> workdir(String raw) {
        return normalise(raw).filter(p -> p.equals(SANDBOX) || strictlyBelow(p, SANDBOX));
    }

    private static boolean strictlyBelow(String path, String mount) {
        return path.startsWith(mount + "/") && path.length() > mount.length() + 1;
    }

    private static Optional<String> normalise(String raw) {
        if (raw == null || raw.isEmpty() || raw.length() > MAX_PATH_BYTES || !plainText(raw)
                || utf8Length(raw) > MAX_PATH_BYTES) {
            return Optional.empty();
        }
        String absolute = raw.startsWith("/") ? raw : SANDBOX + "/" + raw;
        Deque<String> parts = new ArrayDeque<>();
        for (String component : absolute.split("/")) {
            if (utf8Length(component) > MAX_COMPONENT_BYTES) {
                return Optional.empty();
            }
            if (component.equals("..")) {
                parts.pollLast();
            } else if (!component.isEmpty() && !component.equals(".")) {
                parts.addLast(component);
            }
        }
        String result = "/" + String.join("/", parts);
        return utf8Length(result) <= MAX_PATH_BYTES ? Optional.of(result) : Optional.empty();
    }

    /** No control characters (NUL included) and no unpaired surrogates, which have no UTF-8 form. */
    private static boolean plainText(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c)) {
                return false;
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static int utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }
}
