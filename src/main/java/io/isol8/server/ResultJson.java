package io.isol8.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.isol8.core.ExecutionSpec;
import io.isol8.core.Network;
import io.isol8.core.NetworkLogEntry;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.RunOutcome;
import io.isol8.engine.RunOutcome.Ending;
import io.isol8.engine.RunOutcome.FailedPhase;

import java.time.Instant;
import java.util.Base64;
import java.util.List;

/** Builds the buffered result object of api.md §7.1 (field order is normative). */
final class ResultJson {
    private ResultJson() {
    }

    static ObjectNode of(ExecutionSpec spec, RunOutcome outcome, BufferedOutput out, String executionId,
                         String containerId, CancelSignal.Reason cancelReason) {
        boolean installFailed = outcome.failedPhase().orElse(null) == FailedPhase.INSTALL;
        StringBuilder stdout = installFailed ? new StringBuilder(outcome.installStdout()) : out.stdout;
        StringBuilder stderr = installFailed ? new StringBuilder(outcome.installStderr()) : out.stderr;
        if (out.stdoutTruncated) {
            stdout.append(truncation(outcome.stdoutBytes(), spec.maxOutputBytes()));
        }
        if (out.stderrTruncated) {
            stderr.append(truncation(outcome.stderrBytes(), spec.maxOutputBytes()));
        }
        Ending ending = outcome.ending();
        if (ending == Ending.TIMED_OUT) {
            stderr.append("\n--- EXECUTION TIMED OUT ---");
        } else if (ending == Ending.OOM_KILLED) {
            stderr.append("\n--- MEMORY LIMIT EXCEEDED ---");
        } else if (ending == Ending.CANCELLED && cancelReason == CancelSignal.Reason.SESSION_DELETED) {
            stderr.append("\n--- SESSION DELETED ---");
        } else if (outcome.failedPhase().isPresent()) {
            stderr.append(installFailed ? "\n--- PACKAGE INSTALL FAILED (exit code " : "\n--- SETUP SCRIPT FAILED (exit code ")
                    .append(outcome.exitCode()).append(") ---");
        }
        boolean truncated = out.stdoutTruncated || out.stderrTruncated;
        ObjectNode json = Json.object();
        json.put("stdout", stripTrailing(stdout));
        json.put("stderr", stripTrailing(stderr));
        json.put("exitCode", outcome.exitCode());
        json.put("durationMs", outcome.durationMs());
        json.put("truncated", truncated);
        json.put("executionId", executionId);
        json.put("runtime", spec.runtime().wireName());
        json.put("timestamp", Json.timestamp(Instant.now()));
        json.put("containerId", containerId);
        json.put("timedOut", ending == Ending.TIMED_OUT);
        json.put("oomKilled", ending == Ending.OOM_KILLED);
        if (truncated) {
            json.put("stdoutTruncated", out.stdoutTruncated);
            json.put("stderrTruncated", out.stderrTruncated);
        }
        if (spec.outputPathsRequested()) {
            ObjectNode files = json.putObject("files");
            Base64.Encoder b64 = Base64.getEncoder();
            outcome.files().forEach((path, bytes) -> files.put(path, b64.encodeToString(bytes)));
        }
        outcome.resourceUsage().ifPresent(u -> json.putObject("resourceUsage")
                .put("cpuPercent", u.cpuPercent())
                .put("memoryMB", u.memoryMB())
                .put("peakMemoryMB", u.peakMemoryMB())
                .put("networkBytesIn", u.networkBytesIn())
                .put("networkBytesOut", u.networkBytesOut())
                .put("cpuMs", u.cpuMs()));
        if (spec.logNetwork() && spec.container().network() == Network.FILTERED) {
            networkLogs(json.putArray("networkLogs"), outcome.networkLogs());
        }
        if (out.installMs >= 0) {
            json.put("installMs", out.installMs);
        }
        return json;
    }

    /** Appends isol8 0.20's {@code networkLogs} entries to {@code logs}. */
    static void networkLogs(ArrayNode logs, List<NetworkLogEntry> entries) {
        for (NetworkLogEntry e : entries) {
            ObjectNode entry = logs.addObject();
            entry.put("timestamp", Json.timestamp(e.timestamp()));
            entry.put("method", e.method());
            entry.put("host", e.host());
            if (e.path().isPresent()) {
                entry.put("path", e.path().get());
            } else {
                entry.putNull("path");
            }
            entry.put("action", e.action());
            entry.put("durationMs", e.durationMs());
        }
    }

    private static String truncation(long total, long max) {
        return "\n\n--- OUTPUT TRUNCATED (" + total + " bytes, limit: " + max + ") ---";
    }

    /** Removes trailing characters for which {@link Character#isWhitespace} holds. */
    static String stripTrailing(CharSequence s) {
        int end = s.length();
        while (end > 0 && Character.isWhitespace(s.charAt(end - 1))) {
            end--;
        }
        return s.subSequence(0, end).toString();
    }
}
