package io.isol8.server;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.socket.SocketContext;
import io.helidon.websocket.WsSession;
import io.isol8.config.Isol8Config;
import io.isol8.engine.Admission;
import io.isol8.engine.Executions;
import io.isol8.engine.Sessions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The socket's clocks (api.md §14.3) with short timers: pings, the idle close, the execute wait. */
class SocketKeeperTest {
    private final CountDownLatch connectionEnds = new CountDownLatch(1);
    private final RecordingSession session = new RecordingSession();

    @AfterEach
    void end() {
        connectionEnds.countDown();
    }

    /** Opens a socket on a thread that stands for Helidon's connection thread (alive until the test ends). */
    private ExecuteSocket open(ExecuteSockets.Timers timers) throws InterruptedException {
        FakeEngine engine = new FakeEngine();
        Metrics metrics = new Metrics();
        Executions executions = new Executions(engine, new Sessions(engine, 10, tenant -> 0),
                new Admission(10, 100, metrics), 30_000, 10, metrics);
        Tenancy tenancy = new Tenancy(Isol8Config.builtIn(), List.of(), java.util.Optional.empty(), metrics);
        ExecuteSocket socket = new ExecuteSocket(new ExecuteSockets(Isol8Config.builtIn(), tenancy, engine, executions,
                timers));
        CountDownLatch opened = new CountDownLatch(1);
        Thread.ofVirtual().start(() -> {
            socket.onOpen(session);
            opened.countDown();
            try {
                connectionEnds.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(opened.await(5, TimeUnit.SECONDS)).isTrue();
        return socket;
    }

    @Test
    void aQuietSocketIsPingedThenClosedIdle() throws Exception {
        open(new ExecuteSockets.Timers(60_000, 100, 600, 20));
        assertThat(session.closed.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(session.events).contains("close 4008 Idle");
        assertThat(session.events.stream().filter("ping"::equals).count()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void pongsKeepASocketOpen() throws Exception {
        ExecuteSocket socket = open(new ExecuteSockets.Timers(60_000, 100, 400, 20));
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1200);
        while (System.nanoTime() < end) {
            socket.onPong(session, BufferData.empty());
            assertThat(session.closed.await(100, TimeUnit.MILLISECONDS)).isFalse();
        }
        assertThat(session.closed.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(session.events).contains("close 4008 Idle");
    }

    @Test
    void aSocketWithoutExecuteIsClosed4001() throws Exception {
        open(new ExecuteSockets.Timers(200, 60_000, 60_000, 20));
        assertThat(session.closed.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(session.events).containsExactly("close 4001 No execute message");
    }

    @Test
    void aClientPingIsAnsweredThroughTheWriter() throws Exception {
        ExecuteSocket socket = open(new ExecuteSockets.Timers(60_000, 60_000, 60_000, 20));
        socket.onPing(session, BufferData.create(new byte[]{1, 2}));
        io.isol8.testing.Await.until(java.time.Duration.ofSeconds(5), "pong", () -> session.events.contains("pong 2"));
    }

    /** Records what the server writes; none of it may overlap (the writer is one thread). */
    private static final class RecordingSession implements WsSession {
        final List<String> events = new CopyOnWriteArrayList<>();
        final CountDownLatch closed = new CountDownLatch(1);
        private final java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();

        private WsSession record(String event) {
            assertThat(inside.incrementAndGet()).as("concurrent sends").isEqualTo(1);
            events.add(event);
            inside.decrementAndGet();
            return this;
        }

        @Override
        public WsSession send(String text, boolean last) {
            return record("text " + text);
        }

        @Override
        public WsSession send(BufferData bufferData, boolean last) {
            return record("binary");
        }

        @Override
        public WsSession ping(BufferData bufferData) {
            return record("ping");
        }

        @Override
        public WsSession pong(BufferData bufferData) {
            return record("pong " + bufferData.available());
        }

        @Override
        public WsSession close(int code, String reason) {
            record("close " + code + " " + reason);
            closed.countDown();
            return this;
        }

        @Override
        public WsSession terminate() {
            return record("terminate");
        }

        @Override
        public SocketContext socketContext() {
            return null;
        }
    }
}
