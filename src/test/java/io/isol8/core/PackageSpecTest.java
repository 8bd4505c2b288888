package io.isol8.core;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
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
    @MethodSource("io.isol8.core.PackageCorpus#pythonBad")
    void pythonRefusesLocationsOptionsAndShellCharacters(String entry) {
        assertFalse(PackageSpec.valid(Language.PYTHON, entry), entry);
    }

    @ParameterizedTest
    @MethodSource("io.isol8.core.PackageCorpus#npmBad")
    void npmRefusesLocationsOptionsAndShellCharacters(String entry) {
        assertFalse(PackageSpec.valid(Language.NODE, entry), entry);
        assertFalse(PackageSpec.valid(Language.BUN, entry), entry);
    }

    @ParameterizedTest
    @MethodSource("io.isol8.core.PackageCorpus#denoBad")
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
