package io.isol8.core;

import java.util.List;

/** Package entries every path must refuse, per ecosystem (the unit rules and the HTTP surface share them). */
public final class PackageCorpus {
    /** Not python packages: options, locations, markers, shell characters, malformed specifiers. */
    public static final List<String> PYTHON_BAD = List.of(
            "-r", "--index-url", "-e.", "git+https://github.com/x/y", "https://example.com/x.whl",
            "http://x/y.tar.gz", "./local", "../up", "/abs/path", "~/home", "file:///etc/passwd",
            "requests @ https://x/y.whl", "requests@https://x", "requests; python_version<'3'", "req uests",
            "requests\t", "requests$(id)", "requests`id`", "a|b", "a&&b", "a>b;c", "pkg==1.0 ", "pkg[",
            "pkg[extra", "pkg[]", "pkg==", ".hidden", "_private", "pkg/sub", "C:\\x", "pkg.", "pkg-", "x==1,",
            "pkg>=1 <2", "a\nb", "name#frag", "pkg?x=1", "pkg*");
    /** Not npm packages (node and bun): options, git/file/URL sources, ranges with spaces, shell characters. */
    public static final List<String> NPM_BAD = List.of(
            "-g", "--registry=http://x", "git+ssh://git@github.com/x/y.git", "github:user/repo", "user/repo",
            "https://registry.npmjs.org/x/-/x-1.tgz", "file:../x", "./pkg", "/abs", "~/x", "lodash@github:x/y",
            "lodash@file:../x", "lodash@http://x", "@scope", "@scope/", "@/name", "lodash@", "lodash@1 - 2",
            "lodash@>=1 <2", "lo dash", "lodash;rm", "lodash$(id)", "lodash`id`", "lodash|x", ".lodash",
            "_lodash", "npm:lodash", "jsr:@std/path", "lodash@1.0.0#sha", "@scope/name/extra");
    /** Not deno specifiers: anything but {@code npm:<package>} and {@code jsr:@scope/name}. */
    public static final List<String> DENO_BAD = List.of(
            "lodash", "https://deno.land/std/path/mod.ts", "npm:", "npm:-g", "npm:github:x/y", "npm:lodash@file:x",
            "jsr:std/path", "jsr:@std", "jsr:@Std/Path", "jsr:@std/path@ 1", "jsr:@std/path/extra", "node:fs",
            "npm:lodash;id", "-r", "jsr:@std/path@http://x");

    private PackageCorpus() {
    }

    static List<String> pythonBad() {
        return PYTHON_BAD;
    }

    static List<String> npmBad() {
        return NPM_BAD;
    }

    static List<String> denoBad() {
        return DENO_BAD;
    }
}
