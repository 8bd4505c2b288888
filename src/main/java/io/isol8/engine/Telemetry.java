package io.isol8.engine;

import io.isol8.core.Runtime;

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
    default void poolRequest(Runtime runtime, boolean hit) {
    }

    /** A container was created and started in {@code seconds}. */
    default void containerStarted(double seconds) {
    }

    /** A container was removed. */
    default void containerRemoved() {
    }

    /** A Docker call failed; {@code operation} names it (create, exec, remove, …). */
    default void dockerError(String operation) {
    }
}
