package io.isol8.engine.docker;

import io.isol8.engine.CancelSignal;
import io.isol8.engine.Interaction;
import io.isol8.engine.agent.Message;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The egress proxy's wrapper keeps an interactive run's live input and adds its variables. */
class ProxiedSpawnerTest {
    @Test
    void anInteractivePhaseKeepsItsInteractionAndGetsTheProxy() {
        AtomicReference<Interaction> seen = new AtomicReference<>();
        AtomicReference<List<String>> env = new AtomicReference<>();
        Spawner inner = new Spawner() {
            @Override
            public Ended phase(Launch l, Interaction interaction, ExecRunner.FrameHandler handler, long deadlineNanos,
                               CancelSignal cancel) {
                seen.set(interaction);
                env.set(l.env());
                return new Ended(0, false, false, Optional.empty());
            }

            @Override
            public Ended run(List<String> cmd, List<String> e, byte[] stdin, ExecRunner.FrameHandler handler,
                             long deadlineNanos, CancelSignal cancel) {
                throw new AssertionError("not a phase");
            }

            @Override
            public ContainerFiles files(long maxFileBytes) {
                throw new AssertionError();
            }

            @Override
            public boolean oomKilled(Ended ended) {
                return false;
            }

            @Override
            public boolean killAll() {
                return true;
            }

            @Override
            public Optional<Message.Stats> counters() {
                return Optional.empty();
            }
        };
        Interaction live = new Interaction(Optional.empty(), () -> { });
        Spawner proxied = new ProxiedSpawner(inner, Map.of("HTTP_PROXY", "http://proxy:3128"), null, Installs.NONE);
        proxied.phase(new Spawner.Launch(null, false, List.of("cat"), "/sandbox", false, "-", List.of("A=1")), live,
                (err, bytes) -> { }, System.nanoTime() + 1_000_000_000L, new CancelSignal());
        assertSame(live, seen.get());
        assertEquals(List.of("A=1", "HTTP_PROXY=http://proxy:3128"), env.get());
    }
}
