package io.isol8.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isol8.core.ContainerSettings;
import io.isol8.core.ExecutionSpec;
import io.isol8.core.Network;
import io.isol8.core.Language;
import io.isol8.core.Source;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.Phase;
import io.isol8.engine.RunOutcome;
import io.isol8.engine.RunOutcome.Ending;
import io.isol8.engine.RunOutcome.FailedPhase;
import io.isol8.engine.StreamKind;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class ResultJsonTest {
    private static final String CONTAINER = "%064x".formatted(7);
    private static final String EXECUTION = "6f1c1d4e-5b1a-4c1e-9f1e-0a1b2c3d4e5f";
    private static final List<String> ALWAYS = List.of("stdout", "stderr", "exitCode", "durationMs", "truncated",
            "executionId", "runtime", "timestamp", "containerId", "timedOut", "oomKilled");

    private static ExecutionSpec spec(Language runtime, List<String> outputPaths, boolean requested) {
        ContainerSettings c = new ContainerSettings("isol8/" + runtime.wireName() + ":1", 512L << 20, 1.0, 64,
                64L << 20, 64L << 20, Network.NONE, true);
        return new ExecutionSpec(runtime, new Source.Command("true"), "", Map.of(), Map.of(), Map.of(), outputPaths,
                requested, List.of(), Optional.empty(), "/sandbox", 5_000, 1024, c, Map.of());
    }

    private static final ExecutionSpec PYTHON = spec(Language.PYTHON, List.of(), false);

    private static RunOutcome outcome(int exit, long ms, Ending ending) {
        return new RunOutcome(exit, ms, ending, Optional.empty(), "", "", Map.of(), 0, 0);
    }

    private static RunOutcome failed(FailedPhase phase, int exit, Ending ending, String installOut, String installErr) {
        return new RunOutcome(exit, 0, ending, Optional.of(phase), installOut, installErr, Map.of(), 0, 0);
    }

    private static BufferedOutput output(String stdout, String stderr) {
        BufferedOutput out = new BufferedOutput();
        if (!stdout.isEmpty()) {
            out.output(StreamKind.STDOUT, Phase.CODE, stdout);
        }
        if (!stderr.isEmpty()) {
            out.output(StreamKind.STDERR, Phase.CODE, stderr);
        }
        return out;
    }

    private static ObjectNode of(ExecutionSpec spec, RunOutcome outcome, BufferedOutput out) {
        return of(spec, outcome, out, null);
    }

    private static ObjectNode of(ExecutionSpec spec, RunOutcome outcome, BufferedOutput out, CancelSignal.Reason why) {
        return ResultJson.of(spec, outcome, out, EXECUTION, CONTAINER, why);
    }

    private static List<String> fields(ObjectNode json) {
        List<String> names = new ArrayList<>();
        json.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void aFinishedProgramHasTheElevenFieldsInOrder() {
        ObjectNode json = of(PYTHON, outcome(0, 12, Ending.EXITED), output("1\n", ""));

        assertEquals(ALWAYS, fields(json));
    }

    @Test
    void resourceUsageFollowsFilesWithItsSixFieldsInOrder() {
        RunOutcome measured = outcome(0, 12, Ending.EXITED).withFiles(Map.of("/sandbox/a", new byte[]{65}))
                .withUsage(Optional.of(new io.isol8.engine.ResourceUsage(12.5, 30, 41, 0, 7, 3)));

        ObjectNode json = of(spec(Language.PYTHON, List.of("/sandbox/a"), true), measured, output("1\n", ""));

        List<String> expected = new ArrayList<>(ALWAYS);
        expected.add("files");
        expected.add("resourceUsage");
        assertEquals(expected, fields(json));
        assertEquals("{\"cpuPercent\":12.5,\"memoryMB\":30,\"peakMemoryMB\":41,\"networkBytesIn\":0,"
                + "\"networkBytesOut\":7,\"cpuMs\":3}", json.get("resourceUsage").toString());
    }

    @Test
    void resourceUsageIsAbsentWhenNotMeasured() {
        assertFalse(of(PYTHON, outcome(0, 12, Ending.EXITED), output("", "")).has("resourceUsage"));
    }

    @Test
    void theFieldsCarryTheRunsValues() {
        ObjectNode json = of(spec(Language.NODE, List.of(), false), outcome(3, 12, Ending.EXITED), output("1\n", "oops\n"));

        assertEquals("1", json.get("stdout").textValue());
        assertEquals("oops", json.get("stderr").textValue());
        assertEquals(3, json.get("exitCode").intValue());
        assertEquals(12, json.get("durationMs").longValue());
        assertFalse(json.get("truncated").booleanValue());
        assertEquals(EXECUTION, json.get("executionId").textValue());
        assertEquals("node", json.get("runtime").textValue());
        assertEquals(CONTAINER, json.get("containerId").textValue());
        assertFalse(json.get("timedOut").booleanValue());
        assertFalse(json.get("oomKilled").booleanValue());
    }

    @Test
    void theTimestampIsTheCompletionTimeInMillisecondsUtc() {
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String ts = of(PYTHON, outcome(0, 1, Ending.EXITED), output("", "")).get("timestamp").textValue();
        Instant after = Instant.now();

        assertTrue(ts.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z"), ts);
        Instant at = Instant.parse(ts);
        assertFalse(at.isBefore(before), ts);
        assertFalse(at.isAfter(after), ts);
    }

    @Test
    void aTimeoutAppendsItsMarkerToStderrAndSetsTimedOut() {
        ObjectNode json = of(PYTHON, outcome(137, 5_000, Ending.TIMED_OUT), output("partial\n", "err\n"));

        assertEquals("partial", json.get("stdout").textValue());
        assertEquals("err\n\n--- EXECUTION TIMED OUT ---", json.get("stderr").textValue());
        assertEquals(137, json.get("exitCode").intValue());
        assertTrue(json.get("timedOut").booleanValue());
        assertFalse(json.get("oomKilled").booleanValue());
    }

    @Test
    void aSilentTimeoutKeepsTheMarkersLeadingNewline() {
        ObjectNode json = of(PYTHON, outcome(137, 5_000, Ending.TIMED_OUT), output("", ""));

        assertEquals("", json.get("stdout").textValue());
        assertEquals("\n--- EXECUTION TIMED OUT ---", json.get("stderr").textValue());
    }

    @Test
    void anOomKillAppendsItsMarkerAndSetsOomKilled() {
        ObjectNode json = of(PYTHON, outcome(137, 80, Ending.OOM_KILLED), output("", "MemoryError"));

        assertEquals("MemoryError\n--- MEMORY LIMIT EXCEEDED ---", json.get("stderr").textValue());
        assertTrue(json.get("oomKilled").booleanValue());
        assertFalse(json.get("timedOut").booleanValue());
    }

    @Test
    void aRunStoppedByDeletingItsSessionSaysSo() {
        ObjectNode json = of(PYTHON, outcome(137, 80, Ending.CANCELLED), output("a", ""),
                CancelSignal.Reason.SESSION_DELETED);

        assertEquals("\n--- SESSION DELETED ---", json.get("stderr").textValue());
        assertEquals(137, json.get("exitCode").intValue());
        assertFalse(json.get("timedOut").booleanValue());
        assertFalse(json.get("oomKilled").booleanValue());
    }

    @Test
    void aRunStoppedForAnotherReasonHasNoMarker() {
        ObjectNode gone = of(PYTHON, outcome(137, 80, Ending.CANCELLED), output("", "e"), CancelSignal.Reason.CLIENT_GONE);
        ObjectNode shutdown = of(PYTHON, outcome(137, 80, Ending.CANCELLED), output("", "e"), CancelSignal.Reason.SHUTDOWN);

        assertEquals("e", gone.get("stderr").textValue());
        assertEquals("e", shutdown.get("stderr").textValue());
    }

    @Test
    void aSessionDeletedAfterTheRunEndedAddsNoMarker() {
        ObjectNode json = of(PYTHON, outcome(0, 80, Ending.EXITED), output("", "e"), CancelSignal.Reason.SESSION_DELETED);

        assertEquals("e", json.get("stderr").textValue());
    }

    @Test
    void aFailedSetupScriptReportsItsOutputExitCodeAndMarker() {
        BufferedOutput out = new BufferedOutput();
        out.output(StreamKind.STDOUT, Phase.SETUP, "setting up\n");
        out.output(StreamKind.STDERR, Phase.SETUP, "no such file\n");

        ObjectNode json = of(PYTHON, failed(FailedPhase.SETUP, 2, Ending.EXITED, "", ""), out);

        assertEquals("setting up", json.get("stdout").textValue());
        assertEquals("no such file\n\n--- SETUP SCRIPT FAILED (exit code 2) ---", json.get("stderr").textValue());
        assertEquals(2, json.get("exitCode").intValue());
        assertEquals(0, json.get("durationMs").longValue());
    }

    @Test
    void aFailedInstallReportsTheInstallersOutputInsteadOfTheRunsOutput() {
        ObjectNode json = of(PYTHON, failed(FailedPhase.INSTALL, 1, Ending.EXITED, "Collecting nope\n",
                "ERROR: no package named nope\n"), output("ignored", "ignored too"));

        assertEquals("Collecting nope", json.get("stdout").textValue());
        assertEquals("ERROR: no package named nope\n\n--- PACKAGE INSTALL FAILED (exit code 1) ---",
                json.get("stderr").textValue());
        assertEquals(1, json.get("exitCode").intValue());
    }

    @Test
    void anInstallThatTimedOutShowsOnlyTheTimeoutMarker() {
        ObjectNode json = of(PYTHON, failed(FailedPhase.INSTALL, 137, Ending.TIMED_OUT, "", "downloading\n"),
                output("", ""));

        assertEquals("downloading\n\n--- EXECUTION TIMED OUT ---", json.get("stderr").textValue());
        assertTrue(json.get("timedOut").booleanValue());
    }

    @Test
    void aSetupScriptThatRanOutOfMemoryShowsOnlyTheOomMarker() {
        ObjectNode json = of(PYTHON, failed(FailedPhase.SETUP, 137, Ending.OOM_KILLED, "", ""), output("", ""));

        assertEquals("\n--- MEMORY LIMIT EXCEEDED ---", json.get("stderr").textValue());
    }

    @Test
    void aTruncatedStdoutGetsItsMarkerAndTheTwoFlagsAfterOomKilled() {
        BufferedOutput out = output("x".repeat(1024), "");
        out.truncated(StreamKind.STDOUT, Phase.CODE);
        RunOutcome outcome = outcome(0, 9, Ending.EXITED).withTotals(5000, 0);

        ObjectNode json = of(PYTHON, outcome, out);

        assertEquals("x".repeat(1024) + "\n\n--- OUTPUT TRUNCATED (5000 bytes, limit: 1024) ---",
                json.get("stdout").textValue());
        assertEquals("", json.get("stderr").textValue());
        assertTrue(json.get("truncated").booleanValue());
        assertTrue(json.get("stdoutTruncated").booleanValue());
        assertFalse(json.get("stderrTruncated").booleanValue());
        List<String> expected = new ArrayList<>(ALWAYS);
        expected.addAll(List.of("stdoutTruncated", "stderrTruncated"));
        assertEquals(expected, fields(json));
    }

    @Test
    void aTruncatedStderrCountsStderrBytesAndPrecedesTheTimeoutMarker() {
        BufferedOutput out = output("", "e".repeat(1024));
        out.truncated(StreamKind.STDERR, Phase.CODE);
        RunOutcome outcome = outcome(137, 5000, Ending.TIMED_OUT).withTotals(3, 9000);

        ObjectNode json = of(PYTHON, outcome, out);

        assertEquals("e".repeat(1024) + "\n\n--- OUTPUT TRUNCATED (9000 bytes, limit: 1024) ---"
                + "\n--- EXECUTION TIMED OUT ---", json.get("stderr").textValue());
        assertTrue(json.get("truncated").booleanValue());
        assertFalse(json.get("stdoutTruncated").booleanValue());
        assertTrue(json.get("stderrTruncated").booleanValue());
    }

    @Test
    void bothStreamsTruncatedSetBothFlags() {
        BufferedOutput out = output("o", "e");
        out.truncated(StreamKind.STDOUT, Phase.CODE);
        out.truncated(StreamKind.STDERR, Phase.CODE);

        ObjectNode json = of(PYTHON, outcome(0, 9, Ending.EXITED).withTotals(2000, 3000), out);

        assertEquals("o\n\n--- OUTPUT TRUNCATED (2000 bytes, limit: 1024) ---", json.get("stdout").textValue());
        assertEquals("e\n\n--- OUTPUT TRUNCATED (3000 bytes, limit: 1024) ---", json.get("stderr").textValue());
        assertTrue(json.get("stdoutTruncated").booleanValue());
        assertTrue(json.get("stderrTruncated").booleanValue());
    }

    @Test
    void aTruncatedInstallOutputGetsItsMarkerOnTheInstallersText() {
        BufferedOutput out = output("", "");
        out.truncated(StreamKind.STDERR, Phase.SETUP);
        RunOutcome outcome = failed(FailedPhase.INSTALL, 1, Ending.EXITED, "", "pip says no").withTotals(0, 4000);

        ObjectNode json = of(PYTHON, outcome, out);

        assertEquals("pip says no\n\n--- OUTPUT TRUNCATED (4000 bytes, limit: 1024) ---"
                + "\n--- PACKAGE INSTALL FAILED (exit code 1) ---", json.get("stderr").textValue());
    }

    @Test
    void requestedOutputFilesComeLastAsBase64InRequestOrder() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("/sandbox/b.txt", "hello".getBytes(StandardCharsets.UTF_8));
        files.put("/sandbox/a.bin", new byte[] {0, (byte) 0xff, 10});
        ExecutionSpec spec = spec(Language.PYTHON, List.of("/sandbox/b.txt", "/sandbox/a.bin"), true);

        ObjectNode json = of(spec, outcome(0, 1, Ending.EXITED).withFiles(files), output("", ""));

        List<String> expected = new ArrayList<>(ALWAYS);
        expected.add("files");
        assertEquals(expected, fields(json));
        assertEquals("{\"/sandbox/b.txt\":\"aGVsbG8=\",\"/sandbox/a.bin\":\"AP8K\"}", json.get("files").toString());
    }

    @Test
    void requestedOutputFilesFollowTheTruncationFlags() {
        BufferedOutput out = output("o", "");
        out.truncated(StreamKind.STDOUT, Phase.CODE);
        ExecutionSpec spec = spec(Language.PYTHON, List.of("/sandbox/a"), true);

        ObjectNode json = of(spec, outcome(0, 1, Ending.EXITED), out);

        List<String> expected = new ArrayList<>(ALWAYS);
        expected.addAll(List.of("stdoutTruncated", "stderrTruncated", "files"));
        assertEquals(expected, fields(json));
    }

    @Test
    void requestedOutputFilesThatWereNotFoundGiveAnEmptyObject() {
        ExecutionSpec spec = spec(Language.PYTHON, List.of("/sandbox/missing"), true);

        ObjectNode json = of(spec, outcome(0, 1, Ending.EXITED), output("", ""));

        assertEquals("{}", json.get("files").toString());
    }

    @Test
    void anEmptyOutputPathsListStillGivesFiles() {
        ObjectNode json = of(spec(Language.PYTHON, List.of(), true), outcome(0, 1, Ending.EXITED), output("", ""));

        assertEquals("{}", json.get("files").toString());
    }

    @Test
    void filesAreAbsentWhenOutputPathsWereNotRequested() {
        ObjectNode json = of(PYTHON, outcome(0, 1, Ending.EXITED).withFiles(Map.of("/sandbox/a", new byte[] {1})),
                output("", ""));

        assertFalse(json.has("files"));
    }

    @Test
    void trailingWhitespaceIsRemovedFromBothStreams() {
        ObjectNode json = of(PYTHON, outcome(0, 1, Ending.EXITED), output("  out \t\r\n\u000B\f\u001C", "err \n\n"));

        assertEquals("  out", json.get("stdout").textValue());
        assertEquals("err", json.get("stderr").textValue());
    }

    @Test
    void onlyTrailingWhitespaceIsRemoved() {
        ObjectNode json = of(PYTHON, outcome(0, 1, Ending.EXITED), output("\n a \n b\n", ""));

        assertEquals("\n a \n b", json.get("stdout").textValue());
    }

    @Test
    void aNoBreakSpaceIsNotWhitespace() {
        ObjectNode json = of(PYTHON, outcome(0, 1, Ending.EXITED), output("a\u00A0", ""));

        assertEquals("a\u00A0", json.get("stdout").textValue());
    }

    @Test
    void outputOfOnlyWhitespaceBecomesEmpty() {
        assertEquals("", ResultJson.stripTrailing(" \n\t "));
        assertEquals("", ResultJson.stripTrailing(""));
    }

    @Test
    void setupOutputIsDroppedOnceTheSetupScriptSucceeded() {
        BufferedOutput out = new BufferedOutput();
        out.output(StreamKind.STDOUT, Phase.SETUP, "setting up");
        out.output(StreamKind.STDERR, Phase.SETUP, "warning");
        out.setupSucceeded();
        out.output(StreamKind.STDOUT, Phase.CODE, "result");

        ObjectNode json = of(PYTHON, outcome(0, 1, Ending.EXITED), out);

        assertEquals("result", json.get("stdout").textValue());
        assertEquals("", json.get("stderr").textValue());
    }

    @Test
    void networkLogsAppearOnlyWhenAskedForOnTheFilteredNetwork() {
        ContainerSettings filtered = new ContainerSettings("isol8:python", 512L << 20, 1.0, 64, 64L << 20, 64L << 20,
                Network.FILTERED, true, io.isol8.core.NetworkFilter.NONE);
        Instant at = Instant.parse("2026-12-02T10:00:00Z");
        RunOutcome o = outcome(0, 5, Ending.EXITED).withNetworkLogs(List.of(
                new io.isol8.core.NetworkLogEntry(at, "GET", "api.test", Optional.of("/x"), true, 12, Optional.empty()),
                new io.isol8.core.NetworkLogEntry(at, "CONNECT", "bad.test", Optional.empty(), false, 0,
                        Optional.of("host matches the blacklist"))));
        ObjectNode json = ResultJson.of(spec(filtered, true), o, output("", ""), EXECUTION, CONTAINER, null);
        assertEquals("[{\"timestamp\":\"2026-12-02T10:00:00.000Z\",\"method\":\"GET\",\"host\":\"api.test\","
                + "\"path\":\"/x\",\"action\":\"ALLOW\",\"durationMs\":12},{\"timestamp\":\"2026-12-02T10:00:00.000Z\","
                + "\"method\":\"CONNECT\",\"host\":\"bad.test\",\"path\":null,\"action\":\"BLOCK\",\"durationMs\":0}]",
                json.get("networkLogs").toString());
        assertFalse(ResultJson.of(spec(filtered, false), o, output("", ""), EXECUTION, CONTAINER, null)
                .has("networkLogs"));
    }

    private static ExecutionSpec spec(ContainerSettings c, boolean logNetwork) {
        return new ExecutionSpec(Language.PYTHON, new Source.Command("true"), "", Map.of(), Map.of(), Map.of(),
                List.of(), false, List.of(), Optional.empty(), "/sandbox", 5_000, 1024, c, Map.of(), logNetwork);
    }
}
