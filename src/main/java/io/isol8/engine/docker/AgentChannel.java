package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import io.isol8.engine.agent.FrameDecoder;
import io.isol8.engine.agent.Frames;
import io.isol8.engine.agent.Message;
import io.isol8.engine.agent.ProtocolException;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The channel to one container's agent over its attach stream ({@code docs/agent-protocol.md}). Docker's callback
 * thread only puts stdout chunks into a bounded queue; one virtual thread decodes them and hands each message to
 * the queue of the request it answers (bounded too, so a slow consumer stops the reading, and the agent stops
 * reading the program's pipes). Writes are serialised by a lock. Any end of the stream, any bad frame and any
 * write that cannot be done in time loses the channel for good: every waiter is woken with {@link #LOST}.
 */
final class AgentChannel implements AutoCloseable {
    /** Put into every waiting queue when the channel is lost. */
    static final Object LOST = new Object();
    /** Put into a request's queue by {@link #nudge}: something other than the agent has news for its poller. */
    static final Object WAKE = new Object();
    private static final Logger LOG = Logger.getLogger(AgentChannel.class.getName());
    private static final int PIPE_BYTES = 256 * 1024;

    private final String containerId;
    private final StdinPipe stdin = new StdinPipe(PIPE_BYTES);
    private final FrameQueue attach = new FrameQueue();
    private final FrameDecoder decoder = new FrameDecoder();
    private final Map<Integer, BlockingQueue<Object>> waiters = new ConcurrentHashMap<>();
    private final ReentrantLock writes = new ReentrantLock();
    private final AtomicInteger ids = new AtomicInteger();
    private final CompletableFuture<Message.Hello> hello = new CompletableFuture<>();
    private final Consumer<AgentChannel> onLost;
    private volatile String lost;

    private AgentChannel(String containerId, Consumer<AgentChannel> onLost) {
        this.containerId = containerId;
        this.onLost = onLost;
    }

    /**
     * Attaches to a created container's stdin, stdout and stderr; returns once Docker has opened the stream, so the
     * container may be started. The caller must then {@link #awaitHello}.
     *
     * @param onLost runs once when the channel is lost (not on {@link #close()})
     * @throws RuntimeException Docker's failure, untranslated; {@link #close()} has run
     */
    static AgentChannel attach(DockerClient docker, String containerId, long timeoutNanos, Consumer<AgentChannel> onLost) {
        AgentChannel channel = new AgentChannel(containerId, onLost);
        try {
            docker.attachContainerCmd(containerId).withStdIn(channel.stdin).withStdOut(true).withStdErr(true)
                    .withFollowStream(true).withLogs(false).exec(channel.attach);
            if (!channel.attach.awaitStarted(timeoutNanos, TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("attach to " + containerId + " did not open within "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.close();
            throw new IllegalStateException("interrupted while attaching", e);
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
        Thread.ofVirtual().name("isol8-agent-" + containerId.substring(0, Math.min(12, containerId.length())))
                .start(channel::read);
        return channel;
    }

    /** A channel that was never there (its container's channel was lost and forgotten). */
    static AgentChannel gone(String containerId) {
        AgentChannel channel = new AgentChannel(containerId, c -> { });
        channel.lost = "no channel to the container's agent";
        channel.hello.completeExceptionally(new IllegalStateException(channel.lost));
        return channel;
    }

    /**
     * Waits for the agent's {@code hello}.
     *
     * @throws IllegalStateException it did not come in time, the channel was lost or the protocol version differs
     */
    Message.Hello awaitHello(long timeoutNanos) {
        try {
            Message.Hello h = hello.get(timeoutNanos, TimeUnit.NANOSECONDS);
            if (h.protocolVersion() != Frames.VERSION) {
                lose("agent speaks protocol " + h.protocolVersion() + ", not " + Frames.VERSION);
                throw new IllegalStateException(lost);
            }
            return h;
        } catch (TimeoutException e) {
            lose("no hello from the agent within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
            throw new IllegalStateException(lost + " (does the image have /usr/local/bin/isol8-agent? run `isol8 setup`)");
        } catch (ExecutionException e) {
            throw new IllegalStateException("agent channel lost before hello: " + lost, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the agent");
        }
    }

    String containerId() {
        return containerId;
    }

    /** Whether the agent said hello with a version that runs programs on terminals (1.2.0 and later). */
    boolean terminals() {
        if (!hello.isDone() || hello.isCompletedExceptionally()) {
            return false;
        }
        return versionAtLeast(hello.join().agentVersion(), 1, 2);
    }

    /** Whether a {@code major.minor[.patch]} version is at least {@code major.minor}; false when it does not parse. */
    static boolean versionAtLeast(String version, int major, int minor) {
        String[] parts = version.split("\\.");
        try {
            int ma = Integer.parseInt(parts[0]);
            int mi = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return ma > major || ma == major && mi >= minor;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The agent's version from its hello, or {@code unknown}. */
    String agentVersion() {
        return hello.isDone() && !hello.isCompletedExceptionally() ? hello.join().agentVersion() : "unknown";
    }

    /** Why the channel was lost, or null while it works. */
    String lostReason() {
        return lost;
    }

    /** A fresh request id (non-zero) whose messages go to a bounded queue until {@link #release}. */
    int open(int capacity) {
        int id;
        do {
            id = ids.incrementAndGet();
        } while (id == 0);
        BlockingQueue<Object> q = new ArrayBlockingQueue<>(capacity);
        waiters.put(id, q);
        if (lost != null) {
            q.offer(LOST);
        }
        return id;
    }

    /** The next message for {@code id}, {@link #LOST}, or null after {@code nanos}. */
    Object poll(int id, long nanos) throws InterruptedException {
        BlockingQueue<Object> q = waiters.get(id);
        return q == null ? LOST : q.poll(nanos, TimeUnit.NANOSECONDS);
    }

    /** Wakes whoever polls {@code id} with {@link #WAKE}; does nothing when its queue is full (it is busy then). */
    void nudge(int id) {
        BlockingQueue<Object> q = waiters.get(id);
        if (q != null) {
            q.offer(WAKE);
        }
    }

    /** Stops routing messages to {@code id}; later ones are dropped. */
    void release(int id) {
        waiters.remove(id);
    }

    /**
     * Writes one message, waiting for room in the pipe at most until {@code deadlineNanos}.
     *
     * @return false if the channel is (now) lost
     */
    boolean send(Message m, long deadlineNanos) {
        byte[] frame = Frames.encode(m);
        writes.lock();
        try {
            if (lost != null) {
                return false;
            }
            if (!stdin.write(frame, deadlineNanos)) {
                lose("the agent did not take its input in time");
                return false;
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            writes.unlock();
        }
    }

    /** Takes bytes as if the agent had written them (the decoder's and fault handling's test seam). */
    void received(byte[] bytes) {
        attach.put(new Frame(StreamType.STDOUT, bytes));
    }

    private void read() {
        try {
            while (lost == null) {
                Object item = attach.items.take();
                if (item == FrameQueue.END) {
                    lose("the attach stream ended");
                } else if (item instanceof Throwable t) {
                    lose("the attach stream failed: " + t);
                } else if (item instanceof Frame f && f.getStreamType() == StreamType.STDOUT) {
                    decoder.feed(f.getPayload(), 0, f.getPayload().length, this::route);
                } else if (item instanceof Frame f && LOG.isLoggable(Level.FINE)) {
                    LOG.fine("agent " + containerId.substring(0, 12) + ": "
                            + new String(f.getPayload(), StandardCharsets.UTF_8).strip());
                }
            }
        } catch (ProtocolException e) {
            lose("bad frame from the agent: " + e.getMessage());
        } catch (InterruptedException e) {
            lose("reader interrupted");
        }
    }

    private void route(Message m) {
        if (m instanceof Message.Hello h && m.id() == 0) {
            hello.complete(h);
            return;
        }
        if (m.id() == 0) {
            LOG.fine(() -> "agent " + containerId.substring(0, 12) + " says " + m);
            return;
        }
        BlockingQueue<Object> q = waiters.get(m.id());
        try {
            while (q != null && lost == null && !q.offer(m, 100, TimeUnit.MILLISECONDS)) {
                q = waiters.get(m.id());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Loses the channel once: records why, wakes every waiter, closes the stream. */
    void lose(String why) {
        synchronized (this) {
            if (lost != null) {
                return;
            }
            lost = why;
        }
        LOG.fine(() -> "agent channel of " + containerId + " lost: " + why);
        hello.completeExceptionally(new IllegalStateException(why));
        for (BlockingQueue<Object> q : waiters.values()) {
            q.clear();
            q.offer(LOST);
        }
        shut();
        onLost.accept(this);
    }

    /** Closes the stream (the agent then kills everything and exits). Idempotent; does not run {@code onLost}. */
    @Override
    public void close() {
        synchronized (this) {
            if (lost == null) {
                lost = "closed";
            }
        }
        hello.completeExceptionally(new IllegalStateException("closed"));
        for (BlockingQueue<Object> q : waiters.values()) {
            q.clear();
            q.offer(LOST);
        }
        shut();
    }

    private void shut() {
        stdin.close();
        attach.close();
    }
}
