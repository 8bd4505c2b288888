package io.isol8.core;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackageSpecTest {
    @ParameterizedTest
    @CsvSource(delimiter = ' ', value = {
            "python requests", "python requests==2.31.0", "python requests>=2,<3", "python numpy~=1.26",
            "python requests[socks]", "python requests[socks,security]>=2.0", "python zope.interface",
            "python python-dateutil", "python Django!=4.0", "python pkg===1.0+local", "python a",
            "node lodash", "node lodash@4.17.21", "node lodash@^4", "node @types/node", "node @types/node@~20.1",
            "node left-pad@latest", "node JSONStream", "node is-number@>=7", "bun zod@3.23.8", "bun @scope/pkg",
            "deno npm:chalk@5", "deno npm:@types/node", "deno jsr:@std/path", "deno jsr:@std/path@^1.0.0"})
    void registryPackagesAreValid(String runtime, String entry) {
        assertTrue(PackageSpec.valid(Language.fromWire(runtime).orElseThrow(), entry), entry);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "-r", "--index-url", "-e.", "git+https://github.com/x/y", "https://example.com/x.whl",
            "http://x/y.tar.gz", "./local", "../up", "/abs/path", "~/home", "file:///etc/passwd",
            "requests @ https://x/y.whl", "requests@https://x", "requests; python_version<'3'", "req uests",
            "requests\t", "requests$(id)", "requests`id`", "a|b", "a&&b", "a>b;c", "pkg==1.0 ", "pkg[",
            "pkg[extra", "pkg[]", "pkg==", ".hidden", "_private", "pkg/sub", "C:\\x", "pkg.", "pkg-", "x==1,",
            "pkg>=1 <2", "a\nb", "name#frag", "pkg?x=1", "pkg*"})
    void pythonRefusesLocationsOptionsAndShellCharacters(String entry) {
        assertFalse(PackageSpec.valid(Language.PYTHON, entry), entry);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "-g", "--registry=http://x", "git+ssh://git@github.com/x/y.git", "github:user/repo", "user/repo",
            "https://registry.npmjs.org/x/-/x-1.tgz", "file:../x", "./pkg", "/abs", "~/x", "lodash@github:x/y",
            "lodash@file:../x", "lodash@http://x", "@scope", "@scope/", "@/name", "lodash@", "lodash@1 - 2",
            "lodash@>=1 <2", "lo dash", "lodash;rm", "lodash$(id)", "lodash`id`", "lodash|x", ".lodash",
            "_lodash", "npm:lodash", "jsr:@std/path", "lodash@1.0.0#sha", "@scope/name/extra"})
    void npmRefusesLocationsOptionsAndShellCharacters(String entry) {
        assertFalse(PackageSpec.valid(Language.NODE, entry), entry);
        assertFalse(PackageSpec.valid(Language.BUN, entry), entry);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "lodash", "https://deno.land/std/path/mod.ts", "npm:", "npm:-g", "npm:github:x/y", "npm:lodash@file:x",
            "jsr:std/path", "jsr:@std", "jsr:@Std/Path", "jsr:@std/path@ 1", "jsr:@std/path/extra", "node:fs",
            "npm:lodash;id", "-r", "jsr:@std/path@http://x"})
    void denoTakesOnlyNpmAndJsrSpecifiers(String entry) {
        assertFalse(PackageSpec.valid(Language.DENO, entry), entry);
    }

    @org.junit.jupiter.api.Test
    void npmNamesUpTo214Characters() {
        for (String prefix : new String[] {"", "@s/"}) {
            String name = prefix + "a".repeat(214 - prefix.length());
            assertTrue(PackageSpec.valid(Language.NODE, name + "@1.0.0"), name);
            assertTrue(PackageSpec.valid(Language.DENO, "npm:" + name), name);
            assertFalse(PackageSpec.valid(Language.NODE, name + "b@1.0.0"), name);
            assertFalse(PackageSpec.valid(Language.DENO, "npm:" + name + "b"), name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"requests", "lodash", "npm:lodash"})
    void bashHasNoRegistry(String entry) {
        assertFalse(PackageSpec.valid(Language.BASH, entry));
    }
}
