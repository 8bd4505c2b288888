package io.isol8.engine.docker;

import com.github.dockerjava.transport.DockerHttpClient;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The HTTP transport of the one Docker client, renewable: docker-java's pool never re-validates idle
 * connections, so after the engine restarts every pooled connection fails once ("Broken pipe"). When
 * the engine answers again after an outage, {@link #renew()} swaps in a fresh pool; the old one is
 * closed with the client (streams still running on it keep going).
 */
final class RenewableTransport implements DockerHttpClient {
    private static final Logger LOG = Logger.getLogger(RenewableTransport.class.getName());

    private final Supplier<DockerHttpClient> factory;
    private final List<DockerHttpClient> retired = new ArrayList<>();
    private volatile DockerHttpClient current;

    RenewableTransport(Supplier<DockerHttpClient> factory) {
        this.factory = factory;
        this.current = factory.get();
    }

    @Override
    public Response execute(Request request) {
        return current.execute(request);
    }

    /** Uses a fresh connection pool from now on. */
    void renew() {
        DockerHttpClient fresh = factory.get();
        synchronized (retired) {
            retired.add(current);
            current = fresh;
        }
        LOG.info("Docker engine connection state changed; using fresh connections");
    }

    @Override
    public void close() throws IOException {
        synchronized (retired) {
            for (DockerHttpClient old : retired) {
                try {
                    old.close();
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.FINE, "closing a retired Docker transport", e);
                }
            }
            retired.clear();
        }
        current.close();
    }
}
