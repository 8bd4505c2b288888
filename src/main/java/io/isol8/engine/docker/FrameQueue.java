package io.isol8.engine.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * docker-java's callback for an attached stream (exec or container attach): it only puts frames, the
 * failure or {@link #END} into a bounded queue that one reader takes from (style habit 8). While the queue
 * is full it waits, which is back-pressure on Docker's stream; once closed it drops instead of blocking.
 */
final class FrameQueue extends ResultCallback.Adapter<Frame> implements Closeable {
    /** Put after the last frame, and on close. */
    static final Object END = new Object();

    final BlockingQueue<Object> items = new ArrayBlockingQueue<>(64);
    private volatile boolean closed;

    @Override
    public void onNext(Frame frame) {
        // docker-java may reuse the payload buffer for the next frame: keep a copy
        put(new Frame(frame.getStreamType(), frame.getPayload().clone()));
    }

    @Override
    public void onError(Throwable throwable) {
        put(throwable);
        super.onError(throwable);
    }

    @Override
    public void onComplete() {
        put(END);
        super.onComplete();
    }

    void put(Object item) {
        try {
            while (!closed && !items.offer(item, 100, TimeUnit.MILLISECONDS)) {
                // the reader is slow: back-pressure on Docker's stream
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Idempotent; wakes the reader with {@link #END}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        items.offer(END);
        try {
            super.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
