package io.isol8.engine;

import io.isol8.core.Language;

/**
 * What the engine reports for metrics. The server implements it; {@link #NONE} discards everything.
 * Implementations must be cheap and thread-safe.
 */
public interface Telemetry {
    Telemetry NONE = new Telemetry() {
    };

    /** A request waited {@code seconds} for its admission permit (admitted or not). */
    default void admissionWait(double seconds) {
    }

    /** A request was refused admission: {@code queue_full} or {@code queue_timeout}. */
    default void admissionRejected(String reason) {
    }

    /** An ephemeral request asked the warm pool: hit or miss. */
    default void poolRequest(Language runtime, boolean hit) {
    }

    /** A container was created and started in {@code seconds}. */
    default void containerStarted(double seconds) {
    }

    /** A container was removed. */
    default void containerRemoved() {
    }

    /**
     * An execution ended; {@code outcome} is one of {@code ok}, {@code nonzero}, {@code timeout}, {@code oom},
     * {@code setup_failed} or {@code error}, and {@code seconds} the code phase's wall time.
     */
    default void executionFinished(Language runtime, boolean session, String outcome, double seconds) {
    }

    /** An output stream ({@code stdout} or {@code stderr}) went over its cap. */
    default void truncated(String stream) {
    }

    /** A streaming client went away before its run ended. */
    default void clientDisconnected() {
    }

    /** The {@code outcome} label of {@link #executionFinished} for a run that ended. */
    static String outcome(RunOutcome o) {
        return switch (o.ending()) {
            case TIMED_OUT -> "timeout";
            case OOM_KILLED -> "oom";
            case CANCELLED -> "error";
            case EXITED -> o.failedPhase().isPresent() ? "setup_failed" : o.exitCode() == 0 ? "ok" : "nonzero";
        };
    }

    /** The egress proxy of the filtered network allowed or blocked a connection. */
    default void egressConnection(boolean allowed) {
    }

    /** The egress proxy relayed bytes: {@code in} from upstreams, {@code out} to them. */
    default void egressBytes(long in, long out) {
    }

    /** A Docker call failed; {@code operation} names it (create, exec, remove, …). */
    default void dockerError(String operation) {
    }
}
