package io.isol8.engine.egress;

import java.io.IOException;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open sockets of one holder of access (a {@link Grant}, an {@link InstallWindow}), so that ending the access
 * ends them; once shut, a socket tracked late is closed at once. Thread-safe.
 */
final class TrackedSockets {
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile boolean shut;

    /** Tracks {@code socket}; false (and the socket closed) when the holder was shut meanwhile. */
    boolean track(Socket socket) {
        sockets.add(socket);
        if (shut) {
            quietly(socket);
            return false;
        }
        return true;
    }

    void untrack(Socket socket) {
        sockets.remove(socket);
    }

    /** Closes every tracked socket; later ones are still tracked. */
    void closeAll() {
        sockets.forEach(TrackedSockets::quietly);
    }

    /** Refuses later sockets and closes every tracked one. Idempotent. */
    void shut() {
        shut = true;
        closeAll();
    }

    boolean isShut() {
        return shut;
    }

    private static void quietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
