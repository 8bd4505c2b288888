package io.isol8.engine.docker;

import java.io.InputStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bytes the server writes to a container's attach stdin: a bounded ring that docker-java's stdin pump reads
 * from. Unlike {@link java.io.PipedInputStream} it does not care which threads write (virtual threads come and go)
 * and wakes the reader at once. {@link #close()} ends the stream, which half-closes the container's stdin.
 */
final class StdinPipe extends InputStream {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private final Condition writable = lock.newCondition();
    private static final int FIRST_BYTES = 16 * 1024;
    private final int capacity;
    /** Grows by doubling up to {@link #capacity}: most channels only ever carry small frames. */
    private byte[] ring;
    private int head;
    private int size;
    private boolean closed;

    StdinPipe(int capacity) {
        this.capacity = capacity;
        this.ring = new byte[Math.min(capacity, FIRST_BYTES)];
    }

    /** Doubles the ring (at most to the capacity), its bytes moved to the front. Under the lock. */
    private void grow() {
        byte[] bigger = new byte[Math.min(capacity, ring.length * 2)];
        int first = Math.min(size, ring.length - head);
        System.arraycopy(ring, head, bigger, 0, first);
        System.arraycopy(ring, 0, bigger, first, size - first);
        ring = bigger;
        head = 0;
    }

    /**
     * Appends {@code b} whole, waiting for room until {@code deadlineNanos}.
     *
     * @return false if the pipe is closed or the deadline passed first (then nothing or part was written: the
     *         caller must drop the channel)
     */
    boolean write(byte[] b, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            int off = 0;
            while (off < b.length) {
                while (size + (b.length - off) > ring.length && ring.length < capacity) {
                    grow();
                }
                while (!closed && size == ring.length) {
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        return false;
                    }
                    writable.awaitNanos(left);
                }
                if (closed) {
                    return false;
                }
                int tail = (head + size) % ring.length;
                int n = Math.min(b.length - off, Math.min(ring.length - size, ring.length - tail));
                System.arraycopy(b, off, ring, tail, n);
                size += n;
                off += n;
                readable.signal();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read() throws java.io.IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        lock.lock();
        try {
            while (size == 0 && !closed) {
                readable.await(1, TimeUnit.SECONDS);
            }
            if (size == 0) {
                return -1;
            }
            int n = Math.min(len, Math.min(size, ring.length - head));
            System.arraycopy(ring, head, b, off, n);
            head = (head + n) % ring.length;
            size -= n;
            writable.signal();
            return n;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int available() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the stream: pending bytes are still read, then end-of-file. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            readable.signalAll();
            writable.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
