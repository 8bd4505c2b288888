package io.isol8.server;

import io.helidon.common.buffers.BufferData;
import io.helidon.webserver.ConnectionContext;
import io.helidon.websocket.WsSession;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Everything the server writes to one WebSocket, in order, from one writer thread: Helidon 4.2's
 * {@code WsSession.send} shares one buffer between callers and is not safe to call from two threads. Text frames
 * wait in a bounded queue ({@link #MAX_QUEUED_BYTES}); a producer blocks while it is full, so a client that
 * stops reading slows the program down instead of growing memory. The queue full, or one write blocked, for
 * {@link #STUCK_NANOS} makes {@link #stuck} true; the owner then closes with 4009 and, if even that cannot be
 * written, {@link #abort}s the TCP connection. After the close frame nothing more is written.
 */
final class SocketOutbox {
    static final long MAX_QUEUED_BYTES = 1 << 20;
    static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final Logger LOG = Logger.getLogger(SocketOutbox.class.getName());

    private sealed interface Item permits Text, Ping, Pong, Close {
    }

    private record Text(String json, long bytes) implements Item {
    }

    private record Ping() implements Item {
    }

    private record Pong(byte[] payload) implements Item {
    }

    private record Close(int code, String reason) implements Item {
    }

    private final WsSession session;
    private final Runnable onFailed;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Held around every write on the session: the writer thread's, and a reply to the client's close. */
    private final ReentrantLock sendLock = new ReentrantLock();
    private final ArrayDeque<Item> queue = new ArrayDeque<>();
    private long queuedBytes;
    private long fullSince;
    private boolean closeQueued;
    private boolean stopped;
    private volatile long writingSince;
    private volatile long closeSentAt;

    /** @param onFailed runs once when a write fails (the client is gone) */
    SocketOutbox(WsSession session, Runnable onFailed) {
        this.session = session;
        this.onFailed = onFailed;
        Thread.ofVirtual().name("isol8-ws-writer").start(this::write);
    }

    /**
     * Queues a text frame, waiting while the queue is full.
     *
     * @return false if it was dropped: the socket is closing, gone, or the client stopped reading
     */
    boolean text(String json) {
        long bytes = json.length();
        lock.lock();
        try {
            while (!closeQueued && !stopped && queuedBytes > 0 && queuedBytes + bytes > MAX_QUEUED_BYTES) {
                if (fullSince == 0) {
                    fullSince = System.nanoTime();
                }
                changed.await(1, TimeUnit.SECONDS);
            }
            if (closeQueued || stopped) {
                return false;
            }
            queue.add(new Text(json, bytes));
            queuedBytes += bytes;
            changed.signalAll();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Queues a ping (not counted against the queue's bound). */
    void ping() {
        control(new Ping());
    }

    /** Queues the answer to the client's ping. */
    void pong(BufferData payload) {
        byte[] bytes = new byte[payload.available()];
        payload.read(bytes);
        control(new Pong(bytes));
    }

    private void control(Item item) {
        lock.lock();
        try {
            if (!closeQueued && !stopped) {
                queue.add(item);
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues the close frame after what is queued; later frames are dropped. Only the first close counts.
     *
     * @param reason at most 123 bytes of UTF-8 are sent
     */
    void close(int code, String reason) {
        lock.lock();
        try {
            if (closeQueued || stopped) {
                return;
            }
            closeQueued = true;
            queue.add(new Close(code, shortReason(reason)));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Drops what is queued and queues the close frame (a client that stopped reading gets no more output). */
    void closeNow(int code, String reason) {
        closeNow(null, code, reason);
    }

    /** As {@link #closeNow(int, String)}, with one last text frame before the close (null: none). */
    void closeNow(String lastFrame, int code, String reason) {
        lock.lock();
        try {
            if (stopped) {
                return;
            }
            queue.clear();
            queuedBytes = 0;
            closeQueued = true;
            if (lastFrame != null) {
                queue.add(new Text(lastFrame, lastFrame.length()));
            }
            queue.add(new Close(code, shortReason(reason)));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Answers the client's close frame at once on the calling thread (else Helidon would answer it outside
     * {@link #sendLock}), unless a close was sent already. Nothing is written after it.
     */
    void answerClose(int code, String reason) {
        lock.lock();
        try {
            if (stopped) {
                return;
            }
            stopped = true;
            queue.clear();
            queuedBytes = 0;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            if (!sendLock.tryLock(2, TimeUnit.SECONDS)) {
                abort();
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            if (closeSentAt == 0) {
                closeSentAt = System.nanoTime();
                session.close(code, shortReason(reason));
            }
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "could not answer a close", e);
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Whether the client stopped reading: the queue has been full, or one write blocked, for {@link #STUCK_NANOS}.
     */
    boolean stuck(long now) {
        long writing = writingSince;
        if (writing != 0 && now - writing >= STUCK_NANOS) {
            return true;
        }
        lock.lock();
        try {
            return fullSince != 0 && now - fullSince >= STUCK_NANOS;
        } finally {
            lock.unlock();
        }
    }

    /** When the close frame went out ({@link System#nanoTime()}), or 0. */
    long closeSentAt() {
        return closeSentAt;
    }

    /** Stops writing (the connection is gone); what is queued is dropped. */
    void stop() {
        lock.lock();
        try {
            stopped = true;
            queue.clear();
            queuedBytes = 0;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Closes the TCP connection without a close frame (a blocked write then fails). */
    void abort() {
        stop();
        try {
            if (session.socketContext() instanceof ConnectionContext ctx) {
                ctx.serverSocket().close();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "aborting a WebSocket", e);
        }
    }

    /** Whether everything queued, including a close, has been written or dropped. */
    boolean drained() {
        lock.lock();
        try {
            return queue.isEmpty() && (stopped || closeSentAt != 0 || !closeQueued);
        } finally {
            lock.unlock();
        }
    }

    private void write() {
        while (true) {
            Item item;
            lock.lock();
            try {
                while (queue.isEmpty() && !stopped) {
                    changed.await();
                }
                if (stopped) {
                    return;
                }
                item = queue.poll();
                if (item instanceof Text t) {
                    queuedBytes -= t.bytes();
                    fullSince = 0;
                }
                changed.signalAll();
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            sendLock.lock();
            writingSince = System.nanoTime();
            try {
                if (closeSentAt != 0) {
                    return;
                }
                switch (item) {
                    case Text t -> session.send(t.json(), true);
                    case Ping p -> session.ping(BufferData.empty());
                    case Pong p -> session.pong(BufferData.create(p.payload()));
                    case Close c -> {
                        closeSentAt = System.nanoTime();
                        session.close(c.code(), c.reason());
                        return;
                    }
                }
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "WebSocket write failed", e);
                stop();
                onFailed.run();
                return;
            } finally {
                writingSince = 0;
                sendLock.unlock();
            }
        }
    }

    /** {@code reason} cut to at most 123 bytes of UTF-8 without splitting a character (RFC 6455 §5.5). */
    static String shortReason(String reason) {
        byte[] b = reason.getBytes(StandardCharsets.UTF_8);
        if (b.length <= 123) {
            return reason;
        }
        int end = 123;
        while (end > 0 && (b[end] & 0xC0) == 0x80) {
            end--;
        }
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }
}
