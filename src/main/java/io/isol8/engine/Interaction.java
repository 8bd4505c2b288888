package io.isol8.engine;

import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The live input of one interactive run (api.md §14.2): stdin data, the end of stdin, signals and terminal
 * resizes, offered by the client's side while the program runs and taken by the engine's run loop in order.
 * Stdin offered before the program starts waits here. Signals and resizes have their own queue, so a Ctrl-C
 * reaches a program that stopped reading its stdin. Thread-safe: one side offers, the other polls.
 */
public final class Interaction {
    /** Stdin bytes that may wait here (not yet handed to the engine) before {@link #offer} refuses more. */
    public static final long MAX_PENDING_BYTES = 1 << 20;

    /** One input of the client. */
    public sealed interface Input permits Data, Eof, Signal, Resize {
    }

    /** Bytes for the program's stdin. */
    public record Data(byte[] bytes) implements Input {
    }

    /** Close the program's stdin (in a terminal: the terminal's end-of-file character). */
    public record Eof() implements Input {
    }

    /** A signal (its number: 1, 2, 3, 9 or 15) for the program's process group. */
    public record Signal(int signo) implements Input {
    }

    /** A new terminal size (terminal mode only). */
    public record Resize(int cols, int rows) implements Input {
    }

    /** A terminal's size, 1…1000 each way. */
    public record TerminalSize(int cols, int rows) {
        public TerminalSize {
            if (cols < 1 || cols > 1000 || rows < 1 || rows > 1000) {
                throw new IllegalArgumentException("terminal size out of range: " + cols + "x" + rows);
            }
        }
    }

    private final Optional<TerminalSize> terminal;
    private final Runnable onStarted;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Input> stdin = new ArrayDeque<>();
    private final ArrayDeque<Input> control = new ArrayDeque<>();
    private long pendingBytes;
    private boolean eof;
    private boolean started;
    private Runnable wake = () -> { };

    /**
     * @param terminal  the terminal's size for terminal mode, empty for pipes
     * @param onStarted runs once, on the engine's thread, when the program has started
     */
    public Interaction(Optional<TerminalSize> terminal, Runnable onStarted) {
        this.terminal = terminal;
        this.onStarted = onStarted;
    }

    public Optional<TerminalSize> terminal() {
        return terminal;
    }

    /**
     * Queues one input. Data after an {@link Eof} is dropped; resizes without a terminal are ignored.
     *
     * @return false when the data would make more than {@link #MAX_PENDING_BYTES} wait here (nothing is queued)
     */
    public boolean offer(Input input) {
        Runnable toWake;
        lock.lock();
        try {
            switch (input) {
                case Data d -> {
                    if (eof || d.bytes().length == 0) {
                        return true;
                    }
                    if (pendingBytes + d.bytes().length > MAX_PENDING_BYTES) {
                        return false;
                    }
                    pendingBytes += d.bytes().length;
                    stdin.add(d);
                }
                case Eof e -> {
                    if (eof) {
                        return true;
                    }
                    eof = true;
                    stdin.add(e);
                }
                case Resize r -> {
                    if (terminal.isEmpty()) {
                        return true;
                    }
                    control.add(r);
                }
                case Signal s -> control.add(s);
            }
            toWake = wake;
        } finally {
            lock.unlock();
        }
        toWake.run();
        return true;
    }

    /** The next stdin input ({@link Data} or {@link Eof}), or null. For the engine. */
    public Input pollStdin() {
        lock.lock();
        try {
            Input in = stdin.poll();
            if (in instanceof Data d) {
                pendingBytes -= d.bytes().length;
            }
            return in;
        } finally {
            lock.unlock();
        }
    }

    /** The next signal or resize, or null. For the engine. */
    public Input pollControl() {
        lock.lock();
        try {
            return control.poll();
        } finally {
            lock.unlock();
        }
    }

    /** Sets what wakes the engine's run loop when input arrives (it runs outside any lock). For the engine. */
    public void wakeWith(Runnable wake) {
        lock.lock();
        try {
            this.wake = wake;
        } finally {
            lock.unlock();
        }
    }

    /** The program started; runs {@code onStarted} the first time. For the engine. */
    public void started() {
        lock.lock();
        try {
            if (started) {
                return;
            }
            started = true;
        } finally {
            lock.unlock();
        }
        onStarted.run();
    }
}
