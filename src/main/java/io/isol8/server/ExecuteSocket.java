package io.isol8.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.common.buffers.BufferData;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.WritableHeaders;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.helidon.websocket.WsUpgradeException;
import io.isol8.core.Isol8Exception;
import io.isol8.engine.Call;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.Finished;
import io.isol8.engine.Interaction;
import io.isol8.engine.Phase;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One {@code GET /execute/ws} connection (api.md §14): the key is checked on the upgrade request, one
 * {@code execute} runs on its own virtual thread, {@code stdin}/{@code signal}/{@code resize} feed an interactive
 * run, and a keeper thread watches the socket: no {@code execute} within 10 s (4001), pings every 30 s, 90 s
 * without an inbound frame (4008), a client that stopped reading (4009) and the end of the connection itself,
 * which is noticed by the end of Helidon's connection thread because {@code onClose} is not called when a client
 * just disappears. Every frame goes out through the socket's {@link SocketOutbox}.
 */
final class ExecuteSocket implements WsListener {
    static final String SUBPROTOCOL = "isol8";
    static final String BEARER_PREFIX = "isol8.bearer.";
    static final int MAX_STDIN_FRAME = 64 * 1024;
    private static final Logger LOG = Logger.getLogger(ExecuteSocket.class.getName());
    private static final long CLOSE_ANSWER_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final ExecuteSockets hub;
    private final JsonBodyReader reader;
    private final StringBuilder fragments = new StringBuilder();
    private final AtomicBoolean executeTaken = new AtomicBoolean();
    private final CancelSignal cancel = new CancelSignal();
    private long fragmentBytes;
    private Caller caller;
    private SocketOutbox outbox;
    private Thread connection;
    private long openedAt;
    private volatile long lastInbound;
    private volatile Interaction interaction;
    private volatile Thread run;

    ExecuteSocket(ExecuteSockets hub) {
        this.hub = hub;
        this.reader = new JsonBodyReader(hub.maxMessageBytes());
    }

    /**
     * Authenticates the upgrade request: the {@code Authorization} header, or for browsers the subprotocol
     * {@code isol8.bearer.<key>}. A refusal lets the request continue as plain HTTP, where the authentication
     * filter answers the JSON 401 of api.md §3. The key is never echoed: an offered {@code isol8} is selected.
     */
    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
        Optional<String> key = ExecuteSockets.key(headers);
        caller = key.flatMap(hub::caller).orElse(null);
        if (caller == null) {
            throw new WsUpgradeException("not authenticated");
        }
        WritableHeaders<?> answer = WritableHeaders.create();
        if (ExecuteSockets.offered(headers).contains(SUBPROTOCOL)) {
            answer.set(HeaderNames.create("Sec-WebSocket-Protocol"), SUBPROTOCOL);
        }
        return Optional.of(answer);
    }

    @Override
    public void onOpen(WsSession session) {
        connection = Thread.currentThread();
        openedAt = System.nanoTime();
        lastInbound = openedAt;
        outbox = new SocketOutbox(session, () -> cancel.cancel(CancelSignal.Reason.CLIENT_GONE));
        hub.opened(this);
        Thread.ofVirtual().name("isol8-ws-keeper").start(this::keep);
    }

    @Override
    public void onMessage(WsSession session, String text, boolean last) {
        lastInbound = System.nanoTime();
        try {
            fragmentBytes += utf8Length(text);
            if (fragmentBytes > hub.maxMessageBytes()) {
                fragments.setLength(0);
                outbox.closeNow(1009, "Message too big");
                cancel.cancel(CancelSignal.Reason.CLIENT_GONE);
                return;
            }
            if (!last) {
                fragments.append(text);
                return;
            }
            String message = fragments.isEmpty() ? text : fragments.append(text).toString();
            fragments.setLength(0);
            fragmentBytes = 0;
            handle(message);
        } catch (RuntimeException e) {
            internal(e);
        }
    }

    @Override
    public void onMessage(WsSession session, BufferData buffer, boolean last) {
        lastInbound = System.nanoTime();
        if (last) {
            outbox.text(SocketEvents.frame("error", "Binary messages are not supported", null));
            outbox.close(1003, "Binary messages are not supported");
        }
    }

    @Override
    public void onPing(WsSession session, BufferData buffer) {
        lastInbound = System.nanoTime();
        outbox.pong(buffer);
    }

    @Override
    public void onPong(WsSession session, BufferData buffer) {
        lastInbound = System.nanoTime();
    }

    @Override
    public void onClose(WsSession session, int status, String reason) {
        cancel.cancel(CancelSignal.Reason.CLIENT_GONE);
        outbox.answerClose(status, "Closed by the client");
    }

    @Override
    public void onError(WsSession session, Throwable t) {
        LOG.log(Level.FINE, "WebSocket error", t);
    }

    private void handle(String message) {
        JsonNode node;
        try {
            node = reader.read(message.getBytes(StandardCharsets.UTF_8));
        } catch (Isol8Exception.BadRequest e) {
            outbox.closeNow(SocketEvents.frame("error", "Invalid JSON message", null), 1003, "Invalid JSON");
            cancel.cancel(CancelSignal.Reason.CLIENT_GONE);
            return;
        }
        JsonNode type = node.isObject() ? node.get("type") : null;
        String name = type == null ? "undefined" : type.isTextual() ? type.asText() : type.toString();
        switch (name) {
            case "execute" -> execute((ObjectNode) node);
            case "stdin" -> stdin((ObjectNode) node);
            case "signal" -> signal((ObjectNode) node);
            case "resize" -> resize((ObjectNode) node);
            default -> outbox.text(SocketEvents.frame("error", "Unknown message type: " + name, null));
        }
    }

    private void execute(ObjectNode message) {
        if (!executeTaken.compareAndSet(false, true)) {
            outbox.text(SocketEvents.frame("error", "An execution is already running on this socket", null));
            return;
        }
        Audit.Record record = hub.audit().start(caller, ExecuteSockets.PATH);
        Call call;
        Interaction live;
        try {
            ObjectNode envelope = message.deepCopy();
            envelope.remove("type");
            JsonNode interactive = envelope.remove("interactive");
            ParsedExecution parsed = hub.parser().parse(envelope);
            call = new Call(UUID.randomUUID().toString(), caller.tenant(), parsed.spec(), parsed.sessionId(),
                    System.nanoTime());
            record.call(call);
            live = interactive(interactive, call.executionId());
        } catch (Isol8Exception e) {
            record.failed(e);
            record.write();
            refuse(e);
            return;
        }
        interaction = live;
        run = Thread.ofVirtual().name("isol8-ws-run").start(() -> run(call, live, record));
    }

    /** The run's live input, or null when {@code interactive} is absent or false. */
    private Interaction interactive(JsonNode field, String executionId) {
        Optional<Optional<Interaction.TerminalSize>> mode = InteractiveMessages.mode(field);
        if (mode.isEmpty()) {
            return null;
        }
        if (mode.get().isPresent() && !hub.terminals()) {
            throw new Isol8Exception.BadRequest("interactive.pty: terminals are not available on this server");
        }
        return new Interaction(mode.get(), () -> outbox.text(SocketEvents.frame("started", executionId, Phase.CODE)));
    }

    /** The execution on its own thread, under the tenant's slot, audited like the HTTP routes. */
    private void run(Call call, Interaction live, Audit.Record record) {
        SocketEvents events = new SocketEvents(outbox, call.spec().maxOutputBytes());
        int code = 1000;
        String reason = "Execution complete";
        try (Tenants.Slot slot = hub.tenants().execution(caller.tenant(), call.spec().timeoutMs())) {
            BufferedOutput copy = new BufferedOutput();
            Finished finished = hub.executions().run(call,
                    hub.audit().includesOutput() ? new TeeSink(events, copy) : events, cancel, live);
            hub.tenants().finished(caller.tenant(), finished.outcome());
            record.finished(finished, cancel.reason(), copy.stdout, copy.stderr);
            RunEndings.finish(events, call.spec(), finished.outcome(), cancel);
        } catch (Isol8Exception e) {
            record.failed(e);
            if (!events.isStarted()) {
                refuse(e);
                return;
            }
            events.failed(e.getMessage(), e instanceof Isol8Exception.SandboxLost ? "137" : "1");
        } catch (RuntimeException e) {
            record.failed(e);
            events.failed(ErrorMapping.clientMessage(e, "execution " + call.executionId()), "1");
            code = 1011;
            reason = "Internal error";
        } finally {
            record.write();
            run = null;
            hub.runEnded();
        }
        if (cancel.reason() == CancelSignal.Reason.CLIENT_GONE) {
            return; // whoever found the client gone has closed (or there is nobody to tell)
        }
        if (hub.stopping()) {
            code = 1001;
            reason = "Server is shutting down";
        }
        outbox.close(code, reason);
    }

    /** A request that cannot run: one {@code error} frame, then 1008 (client errors) or 1013 (busy, unavailable). */
    private void refuse(Isol8Exception e) {
        outbox.text(SocketEvents.frame("error", e.getMessage(), null));
        int code = switch (e) {
            case Isol8Exception.Busy b -> 1013;
            case Isol8Exception.Unavailable u -> 1013;
            case Isol8Exception.SandboxLost l -> 1013;
            default -> 1008;
        };
        outbox.close(code, e.getMessage());
    }

    private void stdin(ObjectNode message) {
        Interaction live = interaction;
        if (live == null) {
            return;
        }
        byte[] bytes;
        try {
            bytes = InteractiveMessages.stdin(message);
        } catch (Isol8Exception.BadRequest e) {
            outbox.text(SocketEvents.frame("error", e.getMessage(), null));
            return;
        }
        if (bytes.length > MAX_STDIN_FRAME) {
            slowConsumer("stdin frame over " + MAX_STDIN_FRAME / 1024 + " KiB");
            return;
        }
        if (!live.offer(new Interaction.Data(bytes))) {
            slowConsumer("over " + Interaction.MAX_PENDING_BYTES / (1024 * 1024) + " MiB of stdin not yet read by the program");
            return;
        }
        if (InteractiveMessages.eof(message)) {
            live.offer(new Interaction.Eof());
        }
    }

    private void signal(ObjectNode message) {
        Interaction live = interaction;
        if (live != null) {
            offer(live, () -> InteractiveMessages.signal(message));
        }
    }

    private void resize(ObjectNode message) {
        Interaction live = interaction;
        if (live != null && live.terminal().isPresent()) {
            offer(live, () -> InteractiveMessages.resize(message));
        }
    }

    /** Offers a parsed input, or answers the client's mistake with an {@code error} frame (the socket stays). */
    private void offer(Interaction live, java.util.function.Supplier<Interaction.Input> parse) {
        try {
            live.offer(parse.get());
        } catch (Isol8Exception.BadRequest e) {
            outbox.text(SocketEvents.frame("error", e.getMessage(), null));
        }
    }

    /** The client sends more than the program reads, or reads nothing we send: the run is killed, close 4009. */
    private void slowConsumer(String why) {
        LOG.info(() -> "WebSocket closed 4009: " + why);
        outbox.closeNow(SocketEvents.frame("error", "Slow consumer: " + why, null), 4009, "Slow consumer");
        cancel.cancel(CancelSignal.Reason.CLIENT_GONE);
    }

    private void internal(RuntimeException e) {
        String message = ErrorMapping.clientMessage(e, "GET /execute/ws");
        outbox.closeNow(SocketEvents.frame("error", message, null), 1011, "Internal error");
        cancel.cancel(CancelSignal.Reason.CLIENT_GONE);
    }

    /** Closes a socket that has no run (shutdown); one with a run closes with 1001 when the run ends. */
    void shutdownIfIdle() {
        if (run == null) {
            outbox.close(1001, "Server is shutting down");
        }
    }

    boolean drained() {
        return run == null && outbox.drained();
    }

    /** The socket's timers, and the end of the connection. Ends when Helidon's connection thread ends. */
    private void keep() {
        ExecuteSockets.Timers timers = hub.timers();
        long executeWait = TimeUnit.MILLISECONDS.toNanos(timers.executeWaitMs());
        long pingEvery = TimeUnit.MILLISECONDS.toNanos(timers.pingMs());
        long idle = TimeUnit.MILLISECONDS.toNanos(timers.idleMs());
        Duration tick = Duration.ofMillis(timers.tickMs());
        long nextPing = openedAt + pingEvery;
        boolean slow = false;
        long abortAt = 0;
        try {
            while (connection.isAlive()) {
                long now = System.nanoTime();
                if (!executeTaken.get() && now - openedAt >= executeWait) {
                    executeTaken.set(true);
                    outbox.close(4001, "No execute message");
                }
                if (now - lastInbound >= idle) {
                    outbox.closeNow(4008, "Idle");
                    cancel.cancel(CancelSignal.Reason.CLIENT_GONE);
                }
                if (now >= nextPing) {
                    outbox.ping();
                    nextPing = now + pingEvery;
                }
                if (!slow && outbox.stuck(now)) {
                    slow = true;
                    LOG.info("WebSocket closed 4009: the client stopped reading");
                    outbox.closeNow(4009, "Slow consumer");
                    cancel.cancel(CancelSignal.Reason.CLIENT_GONE);
                    abortAt = now + CLOSE_ANSWER_NANOS;
                }
                long closeSent = outbox.closeSentAt();
                if (closeSent != 0 && now - closeSent >= CLOSE_ANSWER_NANOS || abortAt != 0 && now >= abortAt) {
                    outbox.abort();
                }
                connection.join(tick);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            cancel.cancel(CancelSignal.Reason.CLIENT_GONE);
            outbox.stop();
            hub.closed(this);
        }
    }

    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return n;
    }
}
