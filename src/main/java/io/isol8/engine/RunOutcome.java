package io.isol8.engine;

import io.isol8.core.NetworkLogEntry;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a run ended. A failing program is an outcome, not an exception.
 *
 * @param exitCode       exit status of the phase that ended the run (137 on timeout, OOM and kills)
 * @param durationMs     wall time of the code phase (0 when it did not run)
 * @param ending         why the run ended
 * @param failedPhase    the phase that ended the run when it was install or setup
 * @param installStdout  standard output of a failed package install (masked, capped), else empty
 * @param installStderr  standard error of a failed package install (masked, capped), else empty
 * @param files          {@code outputPaths} read back: requested path → bytes, in request order
 * @param stdoutBytes    bytes the program wrote to stdout (after masking), for the truncation marker
 * @param stderrBytes    bytes the program wrote to stderr (after masking)
 * @param resourceUsage  what the code phase used; present with the agent executor only
 * @param networkLogs    connections the execution asked the egress proxy for (filtered network), in order
 */
public record RunOutcome(int exitCode, long durationMs, Ending ending, Optional<FailedPhase> failedPhase,
                         String installStdout, String installStderr, Map<String, byte[]> files,
                         long stdoutBytes, long stderrBytes, Optional<ResourceUsage> resourceUsage,
                         List<NetworkLogEntry> networkLogs) {
    public RunOutcome {
        networkLogs = List.copyOf(networkLogs);
    }

    /** An outcome without network logs. */
    public RunOutcome(int exitCode, long durationMs, Ending ending, Optional<FailedPhase> failedPhase,
                      String installStdout, String installStderr, Map<String, byte[]> files,
                      long stdoutBytes, long stderrBytes, Optional<ResourceUsage> resourceUsage) {
        this(exitCode, durationMs, ending, failedPhase, installStdout, installStderr, files, stdoutBytes, stderrBytes,
                resourceUsage, List.of());
    }

    /** An outcome without resource usage (the exec executor, fakes). */
    public RunOutcome(int exitCode, long durationMs, Ending ending, Optional<FailedPhase> failedPhase,
                      String installStdout, String installStderr, Map<String, byte[]> files,
                      long stdoutBytes, long stderrBytes) {
        this(exitCode, durationMs, ending, failedPhase, installStdout, installStderr, files, stdoutBytes, stderrBytes,
                Optional.empty());
    }

    /** The same outcome with other output totals. */
    public RunOutcome withTotals(long stdout, long stderr) {
        return new RunOutcome(exitCode, durationMs, ending, failedPhase, installStdout, installStderr, files, stdout,
                stderr, resourceUsage, networkLogs);
    }

    /** The same outcome with files read back. */
    public RunOutcome withFiles(Map<String, byte[]> read) {
        return new RunOutcome(exitCode, durationMs, ending, failedPhase, installStdout, installStderr, read,
                stdoutBytes, stderrBytes, resourceUsage, networkLogs);
    }

    /** The same outcome with the code phase's resource usage. */
    public RunOutcome withUsage(Optional<ResourceUsage> usage) {
        return new RunOutcome(exitCode, durationMs, ending, failedPhase, installStdout, installStderr, files,
                stdoutBytes, stderrBytes, usage, networkLogs);
    }

    /** The same outcome with the connections the execution asked the egress proxy for. */
    public RunOutcome withNetworkLogs(List<NetworkLogEntry> logs) {
        return new RunOutcome(exitCode, durationMs, ending, failedPhase, installStdout, installStderr, files,
                stdoutBytes, stderrBytes, resourceUsage, logs);
    }

    /** Why a run ended. */
    public enum Ending {
        /** The program exited by itself (any exit code). */
        EXITED,
        /** The deadline was reached. */
        TIMED_OUT,
        /** The kernel OOM killer ended the program. */
        OOM_KILLED,
        /** The run was stopped from outside (session deleted, shutdown, disconnect). */
        CANCELLED
    }

    /** A phase before the code that failed (the code did not run). */
    public enum FailedPhase { INSTALL, SETUP }
}
