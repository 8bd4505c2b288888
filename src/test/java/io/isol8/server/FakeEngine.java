package io.isol8.server;

import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception;
import io.isol8.core.Language;
import io.isol8.core.NetworkLogEntry;
import io.isol8.core.Source;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.ContainerGoneException;
import io.isol8.engine.Engine;
import io.isol8.engine.Interaction;
import io.isol8.engine.OutputChannel;
import io.isol8.engine.OutputSink;
import io.isol8.engine.Phase;
import io.isol8.engine.RunOutcome;
import io.isol8.engine.RunOutcome.Ending;
import io.isol8.engine.RunOutcome.FailedPhase;
import io.isol8.engine.Sandbox;
import io.isol8.engine.StreamKind;

import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A working in-memory engine for HTTP tests that can play every ending the Docker engine has. A program
 * (its {@code code} or {@code cmd}, and its {@code setupScript}) is a script, one directive per line:
 * <ul>
 *   <li>{@code out:<text>} / {@code err:<text>}: a line on stdout / stderr (through the real decoding,
 *       masking and cap of {@link OutputChannel});</li>
 *   <li>{@code bytes:<n>}: {@code n} times {@code x} on stdout, no newline;</li>
 *   <li>{@code sleep:<ms>}: a pause that a cancel cuts short;</li>
 *   <li>{@code exit:<n>}: the exit code (default 0);</li>
 *   <li>{@code timeout} / {@code oom}: the deadline passes / the OOM killer strikes (exit 137);</li>
 *   <li>{@code hang}: waits until cancelled, then ends as cancelled (exit 137);</li>
 *   <li>{@code flood}: 64 KiB chunks of stdout, past any cap, until cancelled;</li>
 *   <li>interactive runs only: {@code readline} (a line of stdin, printed as {@code got:<line>}, or what came
 *       before the end of stdin and {@code <eof>}), {@code cat} (stdin to stdout until its end, then
 *       {@code <eof>}), {@code trap} (waits for a signal and prints {@code signal:<n>}; SIGKILL ends with 137);</li>
 *   <li>{@code lost}: the Docker connection fails mid-run; {@code gone}: the container disappears;
 *       {@code bug}: an unexpected exception with internal text.</li>
 * </ul>
 * {@code installPackages} containing {@code fail} fail the install (exit 1), {@code slow} time it out.
 * Engine-wide knobs: {@link #deadWarm} (next ephemeral containers that are dead), {@link #startDelayMs},
 * {@link #reachable}, {@link #imageMissing}. Every container handed out is tracked in {@link #live}
 * until discarded, so tests can check that nothing leaks.
 */
final class FakeEngine implements Engine {
    final AtomicInteger created = new AtomicInteger();
    final AtomicInteger discarded = new AtomicInteger();
    final AtomicInteger deadWarm = new AtomicInteger();
    final Set<String> live = ConcurrentHashMap.newKeySet();
    final Map<String, byte[]> files = new ConcurrentHashMap<>();
    volatile boolean reachable = true;
    volatile boolean imageMissing;
    volatile long startDelayMs;
    volatile java.util.Optional<String> imageProblem = java.util.Optional.empty();
    /** Counted down when a run starts waiting in {@code hang} or {@code sleep}. */
    volatile CountDownLatch waiting = new CountDownLatch(1);
    /** Counted down when a run ends because it was cancelled. */
    volatile CountDownLatch cancelled = new CountDownLatch(1);
    volatile CancelSignal.Reason lastCancel;

    @Override
    public Sandbox ephemeral(ExecutionSpec spec) {
        return open(spec, true, deadWarm.getAndUpdate(n -> Math.max(0, n - 1)) > 0);
    }

    @Override
    public Sandbox session(ExecutionSpec spec, String principal, String sessionId) {
        return open(spec, false, false);
    }

    private Sandbox open(ExecutionSpec spec, boolean ephemeral, boolean dead) {
        if (imageMissing) {
            throw Isol8Exception.Unavailable.imageMissing(spec.container().image(), spec.runtime());
        }
        pause(startDelayMs, null);
        FakeSandbox box = new FakeSandbox(ephemeral, dead);
        live.add(box.id);
        return box;
    }

    @Override
    public void discard(String containerId) {
        if (live.remove(containerId)) {
            discarded.incrementAndGet();
        }
    }

    @Override
    public boolean interactive() {
        return true;
    }

    @Override
    public boolean reachable() {
        return reachable;
    }

    @Override
    public Map<Language, Boolean> images() {
        Map<Language, Boolean> m = new EnumMap<>(Language.class);
        for (Language r : Language.values()) {
            m.put(r, !imageMissing);
        }
        return m;
    }

    @Override
    public Map<Language, Integer> poolIdle() {
        return Map.of();
    }

    @Override
    public int hostCpus() {
        return 2;
    }

    @Override
    public String endpoint() {
        return "unix:///fake.sock";
    }

    @Override
    public java.util.Optional<String> imageProblem() {
        return imageProblem;
    }

    @Override
    public boolean swept() {
        return true;
    }

    @Override
    public void close() {
        live.clear();
    }

    /** Sleeps {@code ms}, or until {@code cancel} fires; true if cancelled. */
    private static boolean pause(long ms, CancelSignal cancel) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (System.nanoTime() < end) {
            if (cancel != null && cancel.isCancelled()) {
                return true;
            }
            try {
                Thread.sleep(Math.min(5, Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        }
        return cancel != null && cancel.isCancelled();
    }

    private final class FakeSandbox implements Sandbox {
        private final String id = "%064x".formatted(created.incrementAndGet());
        private final boolean ephemeral;
        private final boolean dead;

        FakeSandbox(boolean ephemeral, boolean dead) {
            this.ephemeral = ephemeral;
            this.dead = dead;
        }

        @Override
        public String containerId() {
            return id;
        }

        private Interaction interaction;
        private OutputSink floodSink;
        private final java.util.concurrent.Semaphore woken = new java.util.concurrent.Semaphore(0);

        @Override
        public RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel, Interaction live) {
            interaction = live;
            if (live != null) {
                live.wakeWith(woken::release);
            }
            try {
                return run(spec, sink, cancel);
            } finally {
                interaction = null;
            }
        }

        /** The next stdin or control input (control first), waiting until one comes or the run is cancelled. */
        private Interaction.Input next(CancelSignal cancel, boolean control) {
            while (!cancel.isCancelled()) {
                Interaction.Input in = control ? interaction.pollControl() : interaction.pollStdin();
                if (in != null) {
                    return in;
                }
                try {
                    woken.tryAcquire(5, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
            return null;
        }

        @Override
        public RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel) {
            if (dead) {
                throw new ContainerGoneException(id);
            }
            var secrets = spec.secrets().values();
            if (spec.installPackages().contains("fail")) {
                return new RunOutcome(1, 0, Ending.EXITED, Optional.of(FailedPhase.INSTALL), "",
                        "ERROR: no package named fail\n", Map.of(), 0, 0);
            }
            if (spec.installPackages().contains("slow")) {
                return new RunOutcome(137, 0, Ending.TIMED_OUT, Optional.of(FailedPhase.INSTALL), "", "", Map.of(), 0, 0);
            }
            floodSink = sink;
            OutputChannel out = new OutputChannel(StreamKind.STDOUT, spec.maxOutputBytes(), secrets, sink);
            OutputChannel err = new OutputChannel(StreamKind.STDERR, spec.maxOutputBytes(), secrets, sink);
            if (spec.setupScript().isPresent()) {
                Played setup = play(spec.setupScript().get(), Phase.SETUP, out, err, cancel);
                if (setup.ending != Ending.EXITED || setup.exit != 0) {
                    return new RunOutcome(setup.exit, 0, setup.ending,
                            setup.ending == Ending.CANCELLED ? Optional.empty() : Optional.of(FailedPhase.SETUP),
                            "", "", Map.of(), out.totalBytes(), err.totalBytes());
                }
                sink.setupSucceeded();
            }
            String script = spec.source() instanceof Source.Code c ? c.text() : ((Source.Command) spec.source()).command();
            long start = System.nanoTime();
            if (interaction != null) {
                interaction.started();
            }
            Played code = play(script, Phase.CODE, out, err, cancel);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            Map<String, byte[]> read = new LinkedHashMap<>();
            for (String path : spec.outputPaths()) {
                byte[] content = files.get(path);
                if (content != null) {
                    read.put(path, content);
                }
            }
            // "connect:HOST" / "blocked:HOST": a connection the egress proxy allowed / refused
            java.util.List<NetworkLogEntry> connections = script.lines()
                    .filter(l -> l.startsWith("connect:") || l.startsWith("blocked:"))
                    .map(l -> new NetworkLogEntry(java.time.Instant.now(), "CONNECT", l.substring(8), Optional.empty(),
                            l.startsWith("connect:"), 3, Optional.empty()))
                    .toList();
            return new RunOutcome(code.exit, code.ending == Ending.TIMED_OUT ? spec.timeoutMs() : ms, code.ending,
                    Optional.empty(), "", "", read, out.totalBytes(), err.totalBytes()).withNetworkLogs(connections);
        }

        private record Played(int exit, Ending ending) {
        }

        private Played play(String script, Phase phase, OutputChannel out, OutputChannel err, CancelSignal cancel) {
            int exit = 0;
            try {
                for (String line : script.split("\n")) {
                    if (line.startsWith("out:")) {
                        byte[] b = (line.substring(4) + "\n").getBytes(StandardCharsets.UTF_8);
                        out.write(b, 0, b.length, phase);
                    } else if (line.startsWith("err:")) {
                        byte[] b = (line.substring(4) + "\n").getBytes(StandardCharsets.UTF_8);
                        err.write(b, 0, b.length, phase);
                    } else if (line.startsWith("bytes:")) {
                        byte[] b = "x".repeat(Integer.parseInt(line.substring(6))).getBytes(StandardCharsets.UTF_8);
                        out.write(b, 0, b.length, phase);
                    } else if (line.startsWith("sleep:")) {
                        waiting.countDown();
                        if (pause(Long.parseLong(line.substring(6)), cancel)) {
                            return cancelled(cancel);
                        }
                    } else if (line.equals("readline") || line.equals("cat")) {
                        waiting.countDown();
                        StringBuilder got = new StringBuilder();
                        while (true) {
                            Interaction.Input in = next(cancel, false);
                            if (in == null) {
                                return cancelled(cancel);
                            }
                            if (in instanceof Interaction.Eof) {
                                byte[] b = (got + "<eof>\n").getBytes(StandardCharsets.UTF_8);
                                out.write(b, 0, b.length, phase);
                                break;
                            }
                            byte[] data = ((Interaction.Data) in).bytes();
                            if (line.equals("cat")) {
                                out.write(data, 0, data.length, phase);
                                continue;
                            }
                            got.append(new String(data, StandardCharsets.UTF_8));
                            int nl = got.indexOf("\n");
                            if (nl >= 0) {
                                byte[] b = ("got:" + got.substring(0, nl) + "\n").getBytes(StandardCharsets.UTF_8);
                                out.write(b, 0, b.length, phase);
                                break;
                            }
                        }
                    } else if (line.equals("flood")) {
                        waiting.countDown();
                        String chunk = "z".repeat(64 * 1024);
                        while (!cancel.isCancelled()) {
                            floodSink.output(StreamKind.STDOUT, phase, chunk);
                        }
                        return cancelled(cancel);
                    } else if (line.equals("trap")) {
                        waiting.countDown();
                        Interaction.Input in = next(cancel, true);
                        if (in == null) {
                            return cancelled(cancel);
                        }
                        int signo = ((Interaction.Signal) in).signo();
                        if (signo == 9) {
                            return new Played(137, Ending.EXITED);
                        }
                        byte[] b = ("signal:" + signo + "\n").getBytes(StandardCharsets.UTF_8);
                        out.write(b, 0, b.length, phase);
                    } else if (line.startsWith("exit:")) {
                        exit = Integer.parseInt(line.substring(5));
                    } else {
                        switch (line) {
                            case "timeout" -> {
                                return new Played(137, Ending.TIMED_OUT);
                            }
                            case "oom" -> {
                                return new Played(137, Ending.OOM_KILLED);
                            }
                            case "hang" -> {
                                waiting.countDown();
                                pause(600_000, cancel);
                                return cancelled(cancel);
                            }
                            case "lost" -> throw Isol8Exception.Unavailable.engineUnreachable(endpoint(), null, null);
                            case "gone" -> throw new ContainerGoneException(id);
                            case "bug" -> throw new IllegalStateException("internal detail com.example.Secret");
                            default -> {
                            }
                        }
                    }
                }
                return new Played(exit, Ending.EXITED);
            } finally {
                out.endPhase(phase);
                err.endPhase(phase);
            }
        }

        private Played cancelled(CancelSignal cancel) {
            lastCancel = cancel.reason();
            cancelled.countDown();
            return new Played(137, Ending.CANCELLED);
        }

        @Override
        public boolean killAll() {
            return true;
        }

        @Override
        public byte[] readFile(String path, long maxBytes) {
            byte[] content = files.get(path);
            if (content == null) {
                throw new Isol8Exception.NotFound("File not found: " + path);
            }
            return content;
        }

        @Override
        public void writeFile(String path, byte[] content, String sizeHint) {
            files.put(path, content);
        }

        @Override
        public void close() {
            if (ephemeral) {
                discard(id);
            }
        }
    }
}
