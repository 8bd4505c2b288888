package io.isol8.server;

import io.isol8.core.ExecutionSpec;
import io.isol8.core.Runtime;
import io.isol8.core.Source;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.Engine;
import io.isol8.engine.OutputSink;
import io.isol8.engine.Phase;
import io.isol8.engine.RunOutcome;
import io.isol8.engine.Sandbox;
import io.isol8.engine.StreamKind;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A working in-memory engine for HTTP tests: a program's code is a script of lines
 * {@code out:<text>}, {@code err:<text>} and {@code exit:<n>}; it runs instantly.
 */
final class FakeEngine implements Engine {
    final AtomicInteger created = new AtomicInteger();
    final AtomicInteger discarded = new AtomicInteger();
    volatile boolean reachable = true;

    @Override
    public Sandbox ephemeral(ExecutionSpec spec) {
        return new FakeSandbox(true);
    }

    @Override
    public Sandbox session(ExecutionSpec spec, String principal, String sessionId) {
        return new FakeSandbox(false);
    }

    @Override
    public void discard(String containerId) {
        discarded.incrementAndGet();
    }

    @Override
    public boolean reachable() {
        return reachable;
    }

    @Override
    public Map<Runtime, Boolean> images() {
        Map<Runtime, Boolean> m = new EnumMap<>(Runtime.class);
        for (Runtime r : Runtime.values()) {
            m.put(r, true);
        }
        return m;
    }

    @Override
    public Map<Runtime, Integer> poolIdle() {
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
    public boolean swept() {
        return true;
    }

    @Override
    public void close() {
    }

    private final class FakeSandbox implements Sandbox {
        private final String id = "%064x".formatted(created.incrementAndGet());
        private final boolean ephemeral;

        FakeSandbox(boolean ephemeral) {
            this.ephemeral = ephemeral;
        }

        @Override
        public String containerId() {
            return id;
        }

        @Override
        public RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel) {
            int exit = 0;
            String script = spec.source() instanceof Source.Code c ? c.text() : ((Source.Command) spec.source()).command();
            for (String line : script.split("\n")) {
                if (line.startsWith("out:")) {
                    sink.output(StreamKind.STDOUT, Phase.CODE, line.substring(4) + "\n");
                } else if (line.startsWith("err:")) {
                    sink.output(StreamKind.STDERR, Phase.CODE, line.substring(4) + "\n");
                } else if (line.startsWith("exit:")) {
                    exit = Integer.parseInt(line.substring(5));
                }
            }
            return new RunOutcome(exit, 1, RunOutcome.Ending.EXITED, Optional.empty(), "", "", Map.of(), 0, 0);
        }

        @Override
        public boolean killAll() {
            return true;
        }

        @Override
        public byte[] readFile(String path, long maxBytes) {
            throw new io.isol8.core.Isol8Exception.NotFound("File not found: " + path);
        }

        @Override
        public void writeFile(String path, byte[] content, String sizeHint) {
        }

        @Override
        public void close() {
            if (ephemeral) {
                discard(id);
            }
        }
    }
}
