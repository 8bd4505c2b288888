package io.isol8.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@code GET /execute/ws} client on the JDK's {@link WebSocket}: every text message in a queue, the server's
 * close code and reason, and a switch to stop reading (the JDK client then stops reading the TCP connection).
 */
public final class WsClient implements WebSocket.Listener, AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The server's close frame. */
    public record Close(int code, String reason) {
    }

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private volatile boolean reading = true;
    private WebSocket ws;

    private WsClient() {
    }

    /** Connects with {@code Authorization: Bearer <key>}. */
    public static WsClient open(int port, String key) {
        return connect(port, key, new String[0]);
    }

    /** Connects without the header, offering {@code subprotocols} (the browser's way). */
    public static WsClient openWithSubprotocols(int port, String... subprotocols) {
        return connect(port, null, subprotocols);
    }

    private static WsClient connect(int port, String key, String[] subprotocols) {
        WsClient client = new WsClient();
        WebSocket.Builder b = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (subprotocols.length > 0) {
            b.subprotocols(subprotocols[0], java.util.Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
        }
        client.ws = b.buildAsync(URI.create("ws://127.0.0.1:" + port + "/execute/ws"), client).join();
        return client;
    }

    /**
     * Sends a raw upgrade request for {@code /execute/ws} with the given extra header lines and returns the whole
     * response (status line, headers, body) as text; the connection is closed by then.
     */
    public static String rawUpgrade(int port, String extraHeaders) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /execute/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                    + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + extraHeaders + "\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream seen = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            while (true) {
                String text = seen.toString(StandardCharsets.UTF_8);
                int head = text.indexOf("\r\n\r\n");
                if (head >= 0) {
                    int cl = text.toLowerCase().indexOf("content-length: ");
                    if (text.startsWith("HTTP/1.1 101") || cl < 0) {
                        return text;
                    }
                    int len = Integer.parseInt(text.substring(cl + 16, text.indexOf("\r\n", cl)).strip());
                    if (seen.size() >= head + 4 + len) {
                        return text;
                    }
                }
                int n = in.read(buf);
                if (n < 0) {
                    return seen.toString(StandardCharsets.UTF_8);
                }
                seen.write(buf, 0, n);
            }
        }
    }

    public WebSocket socket() {
        return ws;
    }

    public void send(String json) {
        ws.sendText(json, true).join();
    }

    /** Stops asking for messages: the JDK client stops reading, and the server's writes back up. */
    public void stopReading() {
        reading = false;
    }

    /** Asks for messages again. */
    public void resumeReading() {
        reading = true;
        ws.request(1);
    }

    /** The next message within {@code ms}, or an assertion failure. */
    public String next(long ms) throws InterruptedException {
        String m = messages.poll(ms, TimeUnit.MILLISECONDS);
        if (m == null) {
            throw new AssertionError("no message within " + ms + " ms (closed: " + closed.getNow(null) + ")");
        }
        return m;
    }

    /** The next message that contains {@code part}, skipping others, within {@code ms}. */
    public String nextContaining(String part, long ms) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
            String m = messages.poll(Math.max(0, left), TimeUnit.MILLISECONDS);
            if (m == null) {
                throw new AssertionError("no message containing " + part + " within " + ms + " ms");
            }
            if (m.contains(part)) {
                return m;
            }
        }
    }

    /** Every message until the server's close (within {@code ms}). */
    public List<String> untilClose(long ms) throws Exception {
        Close c = awaitClose(ms);
        List<String> all = new ArrayList<>();
        messages.drainTo(all);
        return all;
    }

    /** The server's close within {@code ms}. */
    public Close awaitClose(long ms) throws Exception {
        return closed.get(ms, TimeUnit.MILLISECONDS);
    }

    /** The close, if it came. */
    public Close closeNow() {
        return closed.getNow(null);
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            messages.add(partial.toString());
            partial.setLength(0);
        }
        if (reading) {
            webSocket.request(1);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(new Close(statusCode, reason));
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.completeExceptionally(error);
    }

    /** Drops the TCP connection without a close frame. */
    public void abort() {
        ws.abort();
    }

    @Override
    public void close() {
        ws.abort();
    }
}
