package io.isol8.server;

import java.util.regex.Pattern;

/** Names allowed for {@code request.env} and {@code options.secrets}. */
final class EnvNames {
    private static final Pattern NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");

    private EnvNames() {
    }

    static boolean valid(String name) {
        return NAME.matcher(name).matches();
    }
}
