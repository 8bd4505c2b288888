package io.isol8.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ContainerPathTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "a,                      /sandbox/a",
            "in/data.txt,            /sandbox/in/data.txt",
            "a/./b,                  /sandbox/a/b",
            "./x,                    /sandbox/x",
            "/sandbox/a/../b,        /sandbox/b",
            "/sandbox//a/,           /sandbox/a",
            "/tmp/x,                 /tmp/x",
            "/tmp/a/b/../c,          /tmp/a/c",
            "/../sandbox/a,          /sandbox/a",
            "/sandbox/.isol8_main.py, /sandbox/.isol8_main.py",
            "/sandbox/dätä/ü.txt,    /sandbox/dätä/ü.txt",
    })
    void acceptedPathIsNormalised(String raw, String expected) {
        assertEquals(Optional.of(expected), ContainerPath.resolve(raw));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"../etc/passwd", "/sandbox/../etc", "/sandbox/../etc/passwd", "/tmp", "/tmp/",
            "/sandbox", "/sandbox/", "/sandbox/.", "/sandbox/a/..", "/sandboxx/a", "/tmpx/a", "/etc/passwd", "/",
            ".", "..", "a/../..", "../../sandbox/../../etc/shadow", "/proc/self/environ"})
    void pathOutsideTheMountsIsRefused(String raw) {
        assertEquals(Optional.empty(), ContainerPath.resolve(raw));
    }

    @ParameterizedTest(name = "U+{0}")
    @ValueSource(ints = {0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f, 0x7f, 0x85, 0x9f})
    void controlCharacterIsRefused(int c) {
        assertEquals(Optional.empty(), ContainerPath.resolve("/sandbox/a" + (char) c + "b"));
    }

    @Test
    void emptyAndNullAreRefused() {
        assertEquals(Optional.empty(), ContainerPath.resolve(""));
        assertEquals(Optional.empty(), ContainerPath.resolve(null));
    }

    @Test
    void unpairedSurrogateIsRefused() {
        assertEquals(Optional.empty(), ContainerPath.resolve("/sandbox/a\uD800b"));
        assertEquals(Optional.of("/sandbox/\uD83D\uDE00"), ContainerPath.resolve("/sandbox/\uD83D\uDE00"));
    }

    @Test
    void componentOf255BytesIsAcceptedAnd256Refused() {
        assertEquals(Optional.of("/sandbox/" + "a".repeat(255)), ContainerPath.resolve("a".repeat(255)));
        assertEquals(Optional.empty(), ContainerPath.resolve("a".repeat(256)));
    }

    @Test
    void componentLengthCountsUtf8Bytes() {
        assertEquals(Optional.empty(), ContainerPath.resolve("/tmp/" + "é".repeat(128)));
        assertEquals(Optional.of("/tmp/" + "é".repeat(127)), ContainerPath.resolve("/tmp/" + "é".repeat(127)));
    }

    @Test
    void longComponentIsRefusedEvenWhenDotDotRemovesIt() {
        assertEquals(Optional.empty(), ContainerPath.resolve("/sandbox/" + "a".repeat(256) + "/../b"));
    }

    @Test
    void pathOf4096BytesIsAcceptedAnd4097Refused() {
        String exact = "/tmp" + "/aaaaaaa".repeat(511) + "/abc";
        assertEquals(4096, exact.length());
        assertEquals(Optional.of(exact), ContainerPath.resolve(exact));
        assertEquals(Optional.empty(), ContainerPath.resolve(exact + "d"));
    }

    @Test
    void relativePathOverTheLimitOnceResolvedIsRefused() {
        String relative = "aaaaaaa/".repeat(511) + "abcdefgh";
        assertEquals(4096, relative.length());
        assertEquals(Optional.empty(), ContainerPath.resolve(relative));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "/sandbox,          /sandbox",
            "/sandbox/,         /sandbox",
            ".,                 /sandbox",
            "sub/dir,           /sandbox/sub/dir",
            "/sandbox/a/..,     /sandbox",
            "/sandbox/a/./b,    /sandbox/a/b",
    })
    void workdirAtOrBelowSandboxIsAccepted(String raw, String expected) {
        assertEquals(Optional.of(expected), ContainerPath.workdir(raw));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"", "/", "/tmp", "/tmp/x", "..", "../x", "/sandbox/../tmp", "/sandboxx", "/etc",
            "/sandbox/a\u0000"})
    void workdirOutsideSandboxIsRefused(String raw) {
        assertEquals(Optional.empty(), ContainerPath.workdir(raw));
    }
}
