package io.isol8.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OutputCapTest {

    @Test
    void textWithinTheCapIsAdmittedWhole() {
        OutputCap cap = new OutputCap(10);

        assertEquals("hello", cap.admit("hello"));
        assertFalse(cap.truncated());
    }

    @Test
    void capCutsAtACharacterBoundary() {
        OutputCap cap = new OutputCap(5);

        assertEquals("ab€", cap.admit("ab€€"));
    }

    @Test
    void capNeverSplitsASurrogatePair() {
        OutputCap cap = new OutputCap(4);

        assertEquals("ab", cap.admit("ab😀"));
    }

    @Test
    void capAdmitsAWholeSupplementaryCharacterThatFits() {
        OutputCap cap = new OutputCap(5);

        assertEquals("a😀", cap.admit("a😀😀"));
    }

    @Test
    void capAppliesAcrossCalls() {
        OutputCap cap = new OutputCap(5);

        assertEquals("abc", cap.admit("abc"));
        assertEquals("de", cap.admit("defg"));
        assertEquals("", cap.admit("h"));
    }

    @Test
    void nothingIsAdmittedAfterTheFirstDiscard() {
        OutputCap cap = new OutputCap(6);

        assertEquals("ab€", cap.admit("ab€€"));
        assertEquals("", cap.admit("x"));
    }

    @Test
    void totalCountsEveryOfferedByte() {
        OutputCap cap = new OutputCap(2);

        cap.admit("abc");
        cap.admit("€");
        cap.admit("😀");

        assertEquals(3 + 3 + 4, cap.totalBytes());
    }

    @Test
    void fillingTheCapExactlyIsNotTruncation() {
        OutputCap cap = new OutputCap(3);

        assertEquals("€", cap.admit("€"));
        assertEquals("", cap.admit(""));
        assertFalse(cap.truncated());
    }

    @Test
    void truncatedOnceAByteIsDiscarded() {
        OutputCap cap = new OutputCap(3);
        cap.admit("€");

        cap.admit("x");

        assertTrue(cap.truncated());
    }

    @Test
    void zeroCapDiscardsEverythingButCountsIt() {
        OutputCap cap = new OutputCap(0);

        assertEquals("", cap.admit("abc"));
        assertTrue(cap.truncated());
        assertEquals(3, cap.totalBytes());
    }
}
