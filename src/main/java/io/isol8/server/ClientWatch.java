package io.isol8.server;

import io.helidon.common.buffers.DataReader;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.ServerRequest;

import java.lang.reflect.Field;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Notices a client that closes its connection while a stream is silent (api.md §8.4): a virtual thread
 * blocks reading the request's connection, which only ends when the peer closes or resets it. Helidon
 * 4.2 exposes the connection only inside its HTTP/1 request class, so it is reached by reflection; if
 * that fails the stream still notices the client on its next write.
 */
final class ClientWatch {
    private static final Logger LOG = Logger.getLogger(ClientWatch.class.getName());

    private ClientWatch() {
    }

    /** Starts watching; {@code onGone} runs once if the connection ends. */
    static void start(ServerRequest req, Runnable onGone) {
        reader(req).ifPresent(reader -> Thread.ofVirtual().name("isol8-client-watch").start(() -> {
            try {
                reader.pullData();
            } catch (RuntimeException e) {
                onGone.run();
            }
        }));
    }

    private static Optional<DataReader> reader(ServerRequest req) {
        for (Class<?> c = req.getClass(); c != null; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (ConnectionContext.class.isAssignableFrom(f.getType())) {
                    try {
                        f.setAccessible(true);
                        return Optional.of(((ConnectionContext) f.get(req)).dataReader());
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        LOG.log(Level.FINE, "connection not reachable; disconnects are noticed on write", e);
                        return Optional.empty();
                    }
                }
            }
        }
        return Optional.empty();
    }
}
