package io.isol8.engine.egress;

/**
 * Bounds of the egress proxy ({@code network.*}).
 *
 * @param maxConnections      open connections per sandbox at once
 * @param maxBytes            bytes in and out per sandbox; past it its connections are closed
 * @param connectTimeoutMs    to connect upstream
 * @param idleTimeoutMs       a connection with no byte in either direction for this long is closed
 * @param headerTimeoutMs     to receive a complete request head from the program
 * @param maxTotalConnections client connections the proxy holds at once, all sandboxes together
 * @param maxLogEntries       network log entries kept per execution (later ones are counted, not kept)
 */
public record EgressLimits(int maxConnections, long maxBytes, int connectTimeoutMs, int idleTimeoutMs,
                           int headerTimeoutMs, int maxTotalConnections, int maxLogEntries) {
    public EgressLimits {
        if (maxConnections < 1 || maxBytes < 1 || connectTimeoutMs < 1 || idleTimeoutMs < 1 || headerTimeoutMs < 1
                || maxTotalConnections < 1 || maxLogEntries < 0) {
            throw new IllegalArgumentException("egress limits must be positive");
        }
    }
}
