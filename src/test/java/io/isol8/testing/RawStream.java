package io.isol8.testing;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A raw {@code POST /execute/stream} connection that a test reads itself and may drop at any point. */
public final class RawStream {
    private RawStream() {
    }

    /** Connects to 127.0.0.1:{@code port} and sends the request with {@code body}; reads time out after {@code timeoutMs}. */
    public static Socket open(int port, String key, String body, int timeoutMs) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(timeoutMs);
        var out = socket.getOutputStream();
        out.write(("POST /execute/stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return socket;
    }
}
