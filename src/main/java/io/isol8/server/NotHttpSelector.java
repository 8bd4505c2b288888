package io.isol8.server;

import io.helidon.common.buffers.BufferData;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Semaphore;

/**
 * Takes the connections that Helidon's HTTP/1.1 selector turns down (a first line that does not end in
 * {@code HTTP/1.1}, e.g. {@code GARBAGE} or an HTTP/1.0 request) and answers them with the JSON error of
 * api.md §1 before closing, instead of Helidon's silent close. Nothing of the request is echoed.
 */
final class NotHttpSelector implements ServerConnectionSelector {
    private final int maxPrologueLength;

    /** @param maxPrologueLength the HTTP/1 listener's request-line limit; a longer line without LF is ours */
    NotHttpSelector(int maxPrologueLength) {
        this.maxPrologueLength = maxPrologueLength;
    }

    @Override
    public int bytesToIdentifyConnection() {
        return 0;
    }

    @Override
    public Support supports(BufferData data) {
        int lf = data.indexOf((byte) '\n');
        if (lf == -1) {
            return data.available() > maxPrologueLength ? Support.SUPPORTED : Support.UNKNOWN;
        }
        String line = data.readString(lf);
        return line.endsWith(" HTTP/1.1\r") ? Support.UNSUPPORTED : Support.SUPPORTED;
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return Set.of();
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        return new ServerConnection() {
            @Override
            public void handle(Semaphore requestSemaphore) {
                byte[] body = "{\"error\":\"Malformed HTTP request: 400 Bad Request\"}".getBytes(StandardCharsets.US_ASCII);
                byte[] head = ("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                BufferData out = BufferData.create(head.length + body.length);
                out.write(head);
                out.write(body);
                ctx.dataWriter().writeNow(out);
            }

            @Override
            public Duration idleTime() {
                return Duration.ZERO;
            }

            @Override
            public void close(boolean interrupt) {
            }
        };
    }
}
