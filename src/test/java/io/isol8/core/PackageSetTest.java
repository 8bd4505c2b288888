package io.isol8.core;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackageSetTest {
    @Test
    void pythonNamesAreNormalisedAfterPep503AndSorted() {
        PackageSet set = PackageSet.of(Language.PYTHON, List.of("Requests==2.32.3", "typing_extensions", "Zope.Interface"));

        assertEquals(List.of("requests==2.32.3", "typing-extensions", "zope-interface"), set.entries());
    }

    @Test
    void pythonExtrasAreNormalisedAndSorted() {
        assertEquals(List.of("requests[security,socks]>=2"),
                PackageSet.of(Language.PYTHON, List.of("requests[Socks,security]>=2")).entries());
    }

    @Test
    void npmNamesKeepTheirCase() {
        assertEquals(List.of("@types/node@20", "JSONStream@1.3.5"),
                PackageSet.of(Language.BUN, List.of("JSONStream@1.3.5", "@types/node@20")).entries());
    }

    @Test
    void invalidEntriesAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PackageSet.of(Language.PYTHON, List.of("requests", "--index-url=http://evil")));
        assertTrue(e.getMessage().contains("--index-url=http://evil"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PackageSet.of(Language.BUN, List.of()));
        assertThrows(IllegalArgumentException.class, () -> PackageSet.of(Language.DENO, List.of("lodash")));
    }

    @Test
    void labelRoundTripsPythonClausesWithCommas() {
        PackageSet set = PackageSet.of(Language.PYTHON, List.of("numpy>=1.26,<2", "attrs", "six==1.16.0"));

        assertEquals("attrs,numpy>=1.26,<2,six==1.16.0", set.label());
        assertEquals(set, PackageSet.parseLabel(Language.PYTHON, set.label()));
    }

    @Test
    void labelRoundTripsDenoSpecifiers() {
        PackageSet set = PackageSet.of(Language.DENO, List.of("npm:is-number@7.0.0", "jsr:@std/path@1"));

        assertEquals(set, PackageSet.parseLabel(Language.DENO, set.label()));
    }

    @Test
    void anEqualEntryIsCovered() {
        PackageSet image = PackageSet.of(Language.PYTHON, List.of("requests==2.32.3", "numpy"));

        assertTrue(image.covers(List.of("Requests==2.32.3")));
        assertTrue(image.covers(List.of("NumPy")));
    }

    @Test
    void anEntryWithoutVersionIsCoveredByAnyVersionOfItsName() {
        assertTrue(PackageSet.of(Language.BUN, List.of("is-number@7.0.0")).covers(List.of("is-number")));
        assertTrue(PackageSet.of(Language.PYTHON, List.of("typing_extensions==4.12")).covers(List.of("Typing.Extensions")));
        assertTrue(PackageSet.of(Language.DENO, List.of("npm:is-number@7.0.0")).covers(List.of("npm:is-number")));
        assertTrue(PackageSet.of(Language.BUN, List.of("@types/node@20")).covers(List.of("@types/node")));
    }

    @Test
    void anotherVersionOrAnotherPackageIsNotCovered() {
        PackageSet image = PackageSet.of(Language.BUN, List.of("is-number@7.0.0"));

        assertFalse(image.covers(List.of("is-number@6.0.0")));
        assertFalse(image.covers(List.of("is-number@7.0.0", "is-odd")));
        assertFalse(image.covers(List.of("is-number@^7")));
        assertFalse(PackageSet.of(Language.PYTHON, List.of("requests")).covers(List.of("requests==2.32.3")));
        assertFalse(PackageSet.of(Language.PYTHON, List.of("requests")).covers(List.of("requests[socks]")));
    }

    @Test
    void anInvalidRequestEntryIsNeverCovered() {
        assertFalse(PackageSet.of(Language.BUN, List.of("is-number")).covers(List.of("is-number; rm -rf /")));
    }
}
