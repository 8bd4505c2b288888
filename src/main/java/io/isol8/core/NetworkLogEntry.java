package io.isol8.core;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One connection a program asked the egress proxy for (isol8 0.20's {@code NetworkLogEntry}).
 *
 * @param timestamp  when the proxy decided
 * @param method     {@code CONNECT} for tunnels, else the HTTP method of a plain request
 * @param host       the host asked for (lowercase)
 * @param path       the path of a plain HTTP request; empty for {@code CONNECT}
 * @param allowed    whether the connection was made
 * @param durationMs how long the connection lasted (so far, if still open); 0 for a refused one
 * @param reason     why it was refused; empty when allowed. Not part of the wire format (it goes to the log)
 */
public record NetworkLogEntry(Instant timestamp, String method, String host, Optional<String> path, boolean allowed,
                              long durationMs, Optional<String> reason) {
    public NetworkLogEntry {
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(reason, "reason");
    }

    /** {@code ALLOW} or {@code BLOCK}. */
    public String action() {
        return allowed ? "ALLOW" : "BLOCK";
    }
}
