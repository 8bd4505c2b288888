package io.isol8.server;

import io.isol8.core.Language;

import java.util.regex.Pattern;

/**
 * The code file's extension when the request names none (sandbox.md §2). Node code that calls
 * {@code require(} and has no line starting with {@code import} or {@code export} is CommonJS
 * ({@code .cjs}); all other node code is an ES module ({@code .mjs}).
 */
final class CodeExtension {
    private static final Pattern REQUIRE = Pattern.compile("\\brequire\\s*\\(");
    private static final Pattern MODULE_SYNTAX = Pattern.compile("(?m)^\\s*(import|export)\\b");

    private CodeExtension() {
    }

    static String of(Language runtime, String code) {
        if (runtime == Language.NODE && REQUIRE.matcher(code).find() && !MODULE_SYNTAX.matcher(code).find()) {
            return ".cjs";
        }
        return runtime.defaultExtension();
    }
}
