package io.isol8.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.OutputSink;
import io.isol8.engine.Phase;
import io.isol8.engine.StreamKind;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The Server-Sent Events response of {@code /execute/stream} with the exact frames of api.md §8.2:
 * {@code data: <json>\n\n} and a {@code : ping\n\n} heartbeat after 15 s without frames. Writes are
 * serialised by a lock; a failed write, or the watcher seeing the connection end, marks the client gone
 * and fires the run's cancel signal.
 */
final class EventStream implements OutputSink, RunEndings.Target, AutoCloseable {
    private static final byte[] PING = ": ping\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final long HEARTBEAT_NANOS = TimeUnit.SECONDS.toNanos(15);

    private final ServerRequest req;
    private final ServerResponse res;
    private final String executionId;
    private final long maxOutputBytes;
    private final CancelSignal cancel;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition closedCondition = lock.newCondition();
    private OutputStream out;
    private long lastWrite;
    private boolean gone;
    private boolean closed;
    private Phase lastPhase;

    /** @param cancel fired with {@code CLIENT_GONE} when the client goes away */
    EventStream(ServerRequest req, ServerResponse res, String executionId, long maxOutputBytes, CancelSignal cancel) {
        this.cancel = cancel;
        this.req = req;
        this.res = res;
        this.executionId = executionId;
        this.maxOutputBytes = maxOutputBytes;
    }

    /** Sends the 200 head (once) and starts the heartbeat and the disconnect watcher. */
    @Override
    public void started() {
        lock.lock();
        try {
            if (out != null) {
                return;
            }
            res.status(Status.OK_200);
            res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
            res.header(HeaderNames.CACHE_CONTROL, "no-cache");
            res.header("X-Isol8-Execution-Id", executionId);
            res.header(HeaderNames.CONNECTION, "close");
            out = res.outputStream();
            lastWrite = System.nanoTime();
            try {
                out.flush();
            } catch (IOException e) {
                markGone();
            }
        } finally {
            lock.unlock();
        }
        Thread.ofVirtual().name("isol8-heartbeat").start(this::heartbeat);
        ClientWatch.start(req, () -> {
            lock.lock();
            try {
                if (!closed) {
                    markGone();
                }
            } finally {
                lock.unlock();
            }
        });
    }

    boolean isOpen() {
        lock.lock();
        try {
            return out != null;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void output(StreamKind stream, Phase phase, String text) {
        event(stream.wireName(), text, phase);
    }

    @Override
    public void truncated(StreamKind stream, Phase phase) {
        event(stream.wireName(), "\n--- OUTPUT TRUNCATED (limit: " + maxOutputBytes + " bytes) ---\n", phase);
    }

    /** An SSE comment (clients skip it, api.md §8.2): the install phase is not a phase of the event grammar. */
    @Override
    public void installStarted() {
        comment(": install started\n\n");
    }

    @Override
    public void installEnded(long millis, int exitCode) {
        comment(": install ended exitCode=" + exitCode + " installMs=" + millis + "\n\n");
    }

    @Override
    public void setupSucceeded() {
        exit("0", Phase.SETUP);
    }

    @Override
    public void exit(String code, Phase phase) {
        event("exit", code, phase);
    }

    @Override
    public void error(String message, Phase phase) {
        event("error", message, phase);
    }

    /**
     * Ends a stream whose run failed with {@code message}: inside the phase that was running
     * ({@code error} + {@code exit}, {@code exitCode} "1", or "137" for a lost sandbox), or, when no phase had
     * begun, one {@code error} frame without a phase (api.md §8.3, sandbox.md §15.6).
     */
    void failed(String message, String exitCode) {
        Phase phase;
        lock.lock();
        try {
            phase = lastPhase;
        } finally {
            lock.unlock();
        }
        error(message, phase);
        if (phase != null) {
            exit(exitCode, phase);
        }
    }

    /** One frame; {@code phase} null leaves the field out. */
    void event(String type, String data, Phase phase) {
        ObjectNode json = Json.object().put("type", type).put("data", data);
        if (phase != null) {
            json.put("phase", phase.wireName());
        }
        write(("data: " + Json.string(json) + "\n\n").getBytes(StandardCharsets.UTF_8), phase);
    }

    private void comment(String frame) {
        write(frame.getBytes(StandardCharsets.US_ASCII), null);
    }

    private void write(byte[] frame, Phase phase) {
        lock.lock();
        try {
            if (gone || closed) {
                return;
            }
            if (phase != null) {
                lastPhase = phase;
            }
            out.write(frame);
            out.flush();
            lastWrite = System.nanoTime();
        } catch (IOException | RuntimeException e) {
            markGone();
        } finally {
            lock.unlock();
        }
    }

    private void markGone() {
        if (!gone) {
            gone = true;
            cancel.cancel(CancelSignal.Reason.CLIENT_GONE);
        }
    }

    private void heartbeat() {
        lock.lock();
        try {
            while (!closed && !gone) {
                long wait = lastWrite + HEARTBEAT_NANOS - System.nanoTime();
                if (wait > 0) {
                    closedCondition.awaitNanos(wait);
                    continue;
                }
                try {
                    out.write(PING);
                    out.flush();
                    lastWrite = System.nanoTime();
                } catch (IOException | RuntimeException e) {
                    markGone();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Ends the response (closes the stream) and stops the heartbeat. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            closedCondition.signalAll();
            if (out != null) {
                try {
                    out.close();
                } catch (IOException | RuntimeException e) {
                    gone = true;
                }
            }
        } finally {
            lock.unlock();
        }
    }
}
