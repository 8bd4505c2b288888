package io.isol8.engine.docker;

import io.isol8.core.Isol8Exception;
import io.isol8.core.Source;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.ContainerGoneException;
import io.isol8.engine.Interaction;
import io.isol8.engine.agent.Frames;
import io.isol8.engine.agent.Message;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The agent executor (sandbox.md §15): each phase is a {@code put} of the execution's files, setup script and code
 * (when it stages), then a {@code run} of the program itself over the container's {@link AgentChannel}, in the
 * workdir, with the request's stdin as {@code stdin} frames (at most 256 KiB unacknowledged) and {@code cmd} as
 * {@code bash -c}; no shell launcher. At the deadline the caller's kill-all ends the program; the agent's own
 * deadline (a little later) is the backstop. Every wait is bounded; a lost channel is a
 * {@link ContainerGoneException}.
 */
final class AgentSpawner implements Spawner {
    static final int CREDIT_BYTES = 256 * 1024;
    private static final byte[] EOF_KEY = {4};
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long BACKSTOP_MS = 2_000;
    private static final long ANSWER_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int QUEUE = 64;

    private final AgentChannel channel;

    AgentSpawner(AgentChannel channel) {
        this.channel = channel;
    }

    @Override
    public Ended phase(Launch l, Interaction interaction, ExecRunner.FrameHandler handler, long deadlineNanos,
                       CancelSignal cancel) {
        if (l.stage()) {
            byte[] archive = Staging.agentArchive(l.spec()).toBytes();
            if (archive.length > 0) {
                Answer put = put(archive, deadlineNanos, cancel);
                if (put.ended() != null) {
                    return put.ended();
                }
                if (put.error() != null) {
                    handler.frame(true, ("isol8-agent: " + put.error() + "\nisol8: could not write input files")
                            .getBytes(StandardCharsets.UTF_8));
                    return new Ended(125, false, false, Optional.empty());
                }
            }
        }
        List<String> argv = l.command().equals(List.of("@cmd"))
                ? List.of("bash", "-c", ((Source.Command) l.spec().source()).command()) : l.command();
        byte[] stdin = l.programStdin() ? l.spec().stdin().getBytes(StandardCharsets.UTF_8) : new byte[0];
        return execute(argv, l.env(), l.workdir(), stdin, interaction,
                "-".equals(l.removeAfter()) ? "" : l.removeAfter(), handler, deadlineNanos, cancel);
    }

    @Override
    public Ended run(List<String> cmd, List<String> env, byte[] stdin, ExecRunner.FrameHandler handler,
                     long deadlineNanos, CancelSignal cancel) {
        return execute(cmd, env, "/sandbox", stdin, null, "", handler, deadlineNanos, cancel);
    }

    /** One run; with an {@code interaction} its stdin stays open after {@code stdin} for the client's input. */
    private Ended execute(List<String> argv, List<String> env, String cwd, byte[] stdin, Interaction interaction,
                          String removeAfter, ExecRunner.FrameHandler handler, long deadlineNanos, CancelSignal cancel) {
        int id = channel.open(QUEUE);
        try {
            long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
            Optional<Interaction.TerminalSize> terminal = interaction == null ? Optional.empty() : interaction.terminal();
            if (terminal.isPresent() && !channel.terminals()) {
                throw new Isol8Exception.Unavailable("This runtime image's agent (" + channel.agentVersion()
                        + ") has no terminals. Rebuild the images with `isol8 setup`.");
            }
            Message.Run run = new Message.Run(id, Math.min(leftMs + BACKSTOP_MS, 0xFFFF_FFFFL),
                    stdin.length > 0 || interaction != null, cwd, argv, terminal.isPresent() ? terminalEnv(env) : env,
                    removeAfter, terminal.map(Interaction.TerminalSize::cols).orElse(0),
                    terminal.map(Interaction.TerminalSize::rows).orElse(0));
            send(encodable(run), deadlineNanos);
            if (interaction != null) {
                interaction.wakeWith(() -> channel.nudge(id));
            }
            StdinFeed feed = new StdinFeed(id, stdin, interaction);
            while (true) {
                feed.pump(deadlineNanos);
                if (cancel.isCancelled()) {
                    return new Ended(-1, false, true, Optional.empty());
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return new Ended(-1, true, false, Optional.empty());
                }
                Object item = channel.poll(id, Math.min(left, SLICE_NANOS));
                switch (item) {
                    case null -> { }
                    case Message.Output o -> handler.frame(o.stderr(), o.data());
                    case Message.Ack a -> feed.acked(a.bytes());
                    case Message.Exit e -> {
                        return new Ended(e.code(), false, false, Optional.of(e));
                    }
                    case Message.Error e -> throw new Isol8Exception.Unavailable(
                            "The sandbox's agent could not start the program. Try again.",
                            new IllegalStateException("agent error: " + e.message()));
                    case Message.Started s -> {
                        if (interaction != null) {
                            interaction.started();
                        }
                    }
                    default -> {
                        if (item == AgentChannel.LOST) {
                            throw gone();
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Ended(-1, false, true, Optional.empty());
        } finally {
            if (interaction != null) {
                interaction.wakeWith(() -> { });
            }
            channel.release(id);
        }
    }

    /** The environment of a program on a terminal: {@code TERM=xterm-256color} unless the request sets TERM. */
    static List<String> terminalEnv(List<String> env) {
        if (env.stream().anyMatch(e -> e.startsWith("TERM="))) {
            return env;
        }
        List<String> with = new java.util.ArrayList<>(env);
        with.add("TERM=xterm-256color");
        return with;
    }

    /**
     * A run's stdin: first the fixed bytes, then (interactive) the client's data, with at most
     * {@link #CREDIT_BYTES} not yet acknowledged; then {@code stdin-end}. Signals and resizes go at once.
     */
    private final class StdinFeed {
        private final int id;
        private final Interaction interaction;
        private byte[] current;
        private int offset;
        private long sent;
        private long acked;
        private boolean ended;

        StdinFeed(int id, byte[] fixed, Interaction interaction) {
            this.id = id;
            this.interaction = interaction;
            this.current = fixed.length > 0 ? fixed : null;
            this.ended = fixed.length == 0 && interaction == null;
        }

        void acked(long bytes) {
            acked += bytes;
        }

        void pump(long deadlineNanos) {
            if (interaction != null) {
                for (Interaction.Input c = interaction.pollControl(); c != null; c = interaction.pollControl()) {
                    switch (c) {
                        case Interaction.Signal s -> send(new Message.Signal(id, s.signo()), deadlineNanos);
                        case Interaction.Resize r -> send(new Message.Resize(id, r.cols(), r.rows()), deadlineNanos);
                        default -> { }
                    }
                }
            }
            while (!ended && sent - acked < CREDIT_BYTES) {
                if (current == null) {
                    Interaction.Input next = interaction == null ? new Interaction.Eof() : interaction.pollStdin();
                    switch (next) {
                        case null -> {
                            return;
                        }
                        case Interaction.Data d -> {
                            current = d.bytes();
                            offset = 0;
                        }
                        case Interaction.Eof e -> {
                            if (interaction != null && interaction.terminal().isPresent()) {
                                current = EOF_KEY; // a terminal's end of input is its EOF character (Ctrl-D)
                                offset = 0;
                                break;
                            }
                            send(new Message.StdinEnd(id), deadlineNanos);
                            ended = true;
                            return;
                        }
                        default -> {
                            return;
                        }
                    }
                }
                int n = (int) Math.min(Frames.MAX_PAYLOAD, Math.min(current.length - offset, CREDIT_BYTES - (sent - acked)));
                send(new Message.Stdin(id, Arrays.copyOfRange(current, offset, offset + n)), deadlineNanos);
                offset += n;
                sent += n;
                if (offset == current.length) {
                    current = null;
                }
            }
        }
    }

    /**
     * The agent's answer to a put or a transfer: {@code data} (transfers) and {@code error} (null when done), or
     * {@code ended} when the deadline passed or the caller cancelled first.
     */
    record Answer(byte[] data, String error, Ended ended) {
    }

    /** Writes a tar stream into the container. */
    Answer put(byte[] archive, long deadlineNanos, CancelSignal cancel) {
        int id = channel.open(4);
        try {
            for (int off = 0; off < archive.length; off += Frames.MAX_PAYLOAD) {
                send(new Message.Put(id, Arrays.copyOfRange(archive, off,
                        Math.min(archive.length, off + Frames.MAX_PAYLOAD))), deadlineNanos);
            }
            send(new Message.PutEnd(id), deadlineNanos);
            return await(id, Long.MAX_VALUE, deadlineNanos, cancel);
        } finally {
            channel.release(id);
        }
    }

    /**
     * Sends a get or outputs request and collects its data, at most {@code maxBytes} (more is an error: the agent
     * broke its own limit).
     */
    Answer fetch(IntFunction<Message> request, long maxBytes, long deadlineNanos) {
        int id = channel.open(QUEUE);
        try {
            send(request.apply(id), deadlineNanos);
            return await(id, maxBytes, deadlineNanos, new CancelSignal());
        } finally {
            channel.release(id);
        }
    }

    private Answer await(int id, long maxBytes, long deadlineNanos, CancelSignal cancel) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        try {
            while (true) {
                if (cancel.isCancelled()) {
                    return new Answer(null, null, new Ended(-1, false, true, Optional.empty()));
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return new Answer(null, null, new Ended(-1, true, false, Optional.empty()));
                }
                Object item = channel.poll(id, Math.min(left, SLICE_NANOS));
                switch (item) {
                    case null -> { }
                    case Message.Data d -> {
                        if (data.size() + (long) d.data().length > maxBytes) {
                            channel.lose("the agent sent more than " + maxBytes + " bytes for a transfer");
                            throw gone();
                        }
                        data.writeBytes(d.data());
                    }
                    case Message.Done d -> {
                        return new Answer(data.toByteArray(), null, null);
                    }
                    case Message.Error e -> {
                        return new Answer(null, e.message(), null);
                    }
                    default -> {
                        if (item == AgentChannel.LOST) {
                            throw gone();
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(null, null, new Ended(-1, false, true, Optional.empty()));
        }
    }

    @Override
    public ContainerFiles files(long maxFileBytes) {
        return new AgentFiles(this, maxFileBytes);
    }

    @Override
    public boolean oomKilled(Ended ended) {
        return ended.agentExit().map(Message.Exit::oomKilled).orElse(false);
    }

    @Override
    public boolean killAll() {
        return ask(Message.KillAll::new, Message.Done.class).isPresent();
    }

    @Override
    public Optional<Message.Stats> counters() {
        return ask(Message.StatsRequest::new, Message.Stats.class);
    }

    /** Sends a request and waits at most a second for its answer of type {@code answer}; empty otherwise. */
    private <T> Optional<T> ask(IntFunction<Message> request, Class<T> answer) {
        int id = channel.open(4);
        try {
            long deadline = System.nanoTime() + ANSWER_NANOS;
            if (!channel.send(request.apply(id), deadline)) {
                return Optional.empty();
            }
            for (long left = ANSWER_NANOS; left > 0; left = deadline - System.nanoTime()) {
                Object item = channel.poll(id, left);
                if (answer.isInstance(item)) {
                    return Optional.of(answer.cast(item));
                }
                if (item == null || item == AgentChannel.LOST || item instanceof Message.Error) {
                    return Optional.empty();
                }
            }
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            channel.release(id);
        }
    }

    private void send(Message m, long deadlineNanos) {
        // a write has at least a second: a deadline that just passed must not make a healthy channel look lost
        if (!channel.send(m, Math.max(deadlineNanos, System.nanoTime() + ANSWER_NANOS))) {
            throw gone();
        }
    }

    private static Message encodable(Message.Run run) {
        try {
            Frames.encode(run);
            return run;
        } catch (IllegalArgumentException e) {
            throw new Isol8Exception.BadRequest("env and secrets are too large together: the program's command line "
                    + "and environment must fit in " + Frames.MAX_PAYLOAD / 1024 + " KiB");
        }
    }

    private ContainerGoneException gone() {
        return new ContainerGoneException(channel.containerId());
    }
}
