package io.isol8.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;

class SecretMaskerTest {

    @Test
    void chunkThatIsExactlyASecretBecomesMask() {
        SecretMasker masker = new SecretMasker(List.of("hunter2"));

        assertEquals("***", masker.push("hunter2"));
        assertEquals("", masker.finish());
    }

    @Test
    void everyOccurrenceIsMasked() {
        SecretMasker masker = new SecretMasker(List.of("hunter2"));

        assertEquals("a *** b ***\n", masker.push("a hunter2 b hunter2\n"));
    }

    @Test
    void secretSplitOverTwoChunksIsMasked() {
        SecretMasker masker = new SecretMasker(List.of("hunter2"));

        String out = masker.push("pw=hun") + masker.push("ter2!") + masker.finish();

        assertEquals("pw=***!", out);
    }

    @Test
    void secretSplitOverThreeChunksIsMasked() {
        SecretMasker masker = new SecretMasker(List.of("hunter2"));

        String out = masker.push("pw=hu") + masker.push("nte") + masker.push("r2!") + masker.finish();

        assertEquals("pw=***!", out);
    }

    @Test
    void startOfASecretIsHeldBackUntilItCompletes() {
        SecretMasker masker = new SecretMasker(List.of("hunter2"));

        assertEquals("pw=", masker.push("pw=hun"));
        assertEquals("***", masker.push("ter2"));
    }

    @Test
    void trailingPartialPrefixIsReleasedAtEndOfStream() {
        SecretMasker masker = new SecretMasker(List.of("hunter2"));

        assertEquals("pw=", masker.push("pw=hunt"));
        assertEquals("hunt", masker.finish());
    }

    @Test
    void heldBackTextThatTurnsOutNotToBeASecretIsReleased() {
        SecretMasker masker = new SecretMasker(List.of("hunter2"));

        assertEquals("pw=", masker.push("pw=hun"));
        assertEquals("hungry", masker.push("gry"));
    }

    @Test
    void textThatCannotStartASecretIsNotHeldBack() {
        SecretMasker masker = new SecretMasker(List.of("hunter2"));

        assertEquals("hux", masker.push("hux"));
    }

    @Test
    void unfinishedLongerSecretFallsBackToTheShorterMatchAtEndOfStream() {
        SecretMasker masker = new SecretMasker(List.of("abc", "abcdefgh"));

        assertEquals("xx", masker.push("xxabcdefg"));
        assertEquals("***defg", masker.finish());
    }

    @Test
    void longestSecretWinsWhereTwoSecretsOverlap() {
        SecretMasker masker = new SecretMasker(List.of("tok", "token123"));

        assertEquals("*** ***", masker.push("token123 tok") + masker.finish());
    }

    @Test
    void longerSecretWinsWhenItCompletesInTheNextChunk() {
        SecretMasker masker = new SecretMasker(List.of("tok", "token123"));

        assertEquals("***", masker.push("tok") + masker.push("en123") + masker.finish());
    }

    @Test
    void shorterSecretIsMaskedWhenTheLongerOneDoesNotComplete() {
        SecretMasker masker = new SecretMasker(List.of("tok", "token123"));

        assertEquals("***ex", masker.push("tok") + masker.push("ex") + masker.finish());
    }

    @Test
    void leftmostMatchWinsWhereOccurrencesOverlap() {
        SecretMasker masker = new SecretMasker(List.of("abcd", "cdef"));

        assertEquals("***ef", masker.push("abcdef") + masker.finish());
    }

    @Test
    void emptySecretsAreIgnored() {
        SecretMasker masker = new SecretMasker(List.of("", "key"));

        assertEquals("a *** b", masker.push("a key b"));
    }

    @Test
    void withoutSecretsChunksPassThroughUnchanged() {
        SecretMasker masker = new SecretMasker(List.of(""));
        String chunk = "anything at all";

        assertSame(chunk, masker.push(chunk));
        assertEquals("", masker.finish());
    }

    @Test
    void secretMadeOfSupplementaryCharactersIsMasked() {
        SecretMasker masker = new SecretMasker(List.of("🔑😀"));

        assertEquals("x", masker.push("x🔑"));
        assertEquals("***y", masker.push("😀y"));
    }

    @Test
    void maskAllMasksAWholeText() {
        assertEquals("tail: *** and ***",
                SecretMasker.maskAll(List.of("s3cret", "other"), "tail: s3cret and other"));
    }

    @Test
    void maskAllMasksASecretAtTheVeryEnd() {
        assertEquals("ends with ***", SecretMasker.maskAll(List.of("s3cret"), "ends with s3cret"));
    }
}
