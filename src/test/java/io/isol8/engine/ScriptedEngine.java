package io.isol8.engine;

import io.isol8.core.ExecutionSpec;
import io.isol8.core.Language;

import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * An in-memory {@link Engine} whose runs do what the test scripted, one {@link Program} per run in order
 * (a run with nothing scripted exits 0), and which records every call in {@link #events}.
 */
final class ScriptedEngine implements Engine {
    /** What one run does. */
    @FunctionalInterface
    interface Program {
        RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel);
    }

    static final Program OK = (spec, sink, cancel) -> exited(0, 10);
    /** The warm container died before the run (the Docker engine reports it gone). */
    static final Program GONE = (spec, sink, cancel) -> {
        throw new ContainerGoneException("dead");
    };

    final Deque<Program> programs = new ConcurrentLinkedDeque<>();
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<String> discarded = new CopyOnWriteArrayList<>();
    final List<String> closed = new CopyOnWriteArrayList<>();
    final AtomicInteger ephemeralCalls = new AtomicInteger();
    final AtomicInteger sessionCalls = new AtomicInteger();
    private final AtomicInteger created = new AtomicInteger();
    volatile boolean reachable = true;
    volatile boolean killAllSucceeds = true;
    /** Runs inside {@link #session} before it returns or fails (hooks for races). */
    volatile Runnable onSession = () -> { };
    /** When set, {@link #session} throws what it supplies. */
    volatile Supplier<RuntimeException> sessionFailure;

    static RunOutcome exited(int code, long ms) {
        return new RunOutcome(code, ms, RunOutcome.Ending.EXITED, Optional.empty(), "", "", Map.of(), 0, 0);
    }

    static RunOutcome ended(RunOutcome.Ending ending, int code, long ms) {
        return new RunOutcome(code, ms, ending, Optional.empty(), "", "", Map.of(), 0, 0);
    }

    ScriptedEngine then(Program... next) {
        programs.addAll(List.of(next));
        return this;
    }

    static String id(int n) {
        return "%064x".formatted(n);
    }

    @Override
    public Sandbox ephemeral(ExecutionSpec spec) {
        ephemeralCalls.incrementAndGet();
        Box box = new Box(true);
        events.add("ephemeral " + box.id);
        return box;
    }

    @Override
    public Sandbox session(ExecutionSpec spec, String principal, String sessionId) {
        sessionCalls.incrementAndGet();
        onSession.run();
        Supplier<RuntimeException> failure = sessionFailure;
        if (failure != null) {
            events.add("session failed " + principal + "/" + sessionId);
            throw failure.get();
        }
        Box box = new Box(false);
        events.add("session " + principal + "/" + sessionId + " " + box.id);
        return box;
    }

    @Override
    public void discard(String containerId) {
        discarded.add(containerId);
        events.add("discard " + containerId);
    }

    @Override
    public boolean reachable() {
        return reachable;
    }

    @Override
    public Map<Language, Boolean> images() {
        return Map.of();
    }

    @Override
    public Map<Language, Integer> poolIdle() {
        return Map.of();
    }

    @Override
    public String endpoint() {
        return "unix:///scripted.sock";
    }

    @Override
    public boolean swept() {
        return true;
    }

    @Override
    public int hostCpus() {
        return 2;
    }

    @Override
    public void close() {
    }

    /** A sandbox that plays the next scripted program on each run. */
    final class Box implements Sandbox {
        final String id = id(created.incrementAndGet());
        private final boolean ephemeral;

        Box(boolean ephemeral) {
            this.ephemeral = ephemeral;
        }

        @Override
        public String containerId() {
            return id;
        }

        @Override
        public RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel) {
            events.add("run " + id);
            Program p = programs.poll();
            return (p == null ? OK : p).run(spec, sink, cancel);
        }

        @Override
        public boolean killAll() {
            events.add("killAll " + id);
            return killAllSucceeds;
        }

        @Override
        public byte[] readFile(String path, long maxBytes) {
            return new byte[0];
        }

        @Override
        public void writeFile(String path, byte[] content, String sizeHint) {
        }

        @Override
        public void close() {
            closed.add(id);
            events.add((ephemeral ? "close " : "close session ") + id);
        }
    }
}
