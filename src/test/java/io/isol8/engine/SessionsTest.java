package io.isol8.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isol8.core.ContainerSettings;
import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception;
import io.isol8.core.Network;
import io.isol8.core.Language;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SessionsTest {
    private final ScriptedEngine engine = new ScriptedEngine();
    private final Sessions sessions = new Sessions(engine, 10);
    private final ExecutionSpec python = Specs.spec(Language.PYTHON);

    private static long later() {
        return System.nanoTime() + 30_000_000_000L;
    }

    /** Gives {@code s} a container, as the first execution in it would. */
    private String withContainer(Session s) {
        Sandbox box = engine.session(python, s.principal(), s.id());
        s.sandbox(box);
        return box.containerId();
    }

    @Test
    void resolvingANewIdCreatesASessionWithoutAContainer() {
        Session s = sessions.resolve("alice", "s1", python);

        assertEquals("alice", s.principal());
        assertEquals("s1", s.id());
        assertEquals(Language.PYTHON, s.runtime());
        assertEquals(Specs.DEFAULTS, s.settings());
        assertNull(s.sandbox());
        assertEquals(0, engine.sessionCalls.get());
        assertEquals(1, sessions.count());
    }

    @Test
    void resolvingTheSameIdTwiceGivesTheSameSession() {
        Session first = sessions.resolve("alice", "s1", python);

        assertSame(first, sessions.resolve("alice", "s1", python));
        assertEquals(1, sessions.count());
    }

    @Test
    void anotherPrincipalWithTheSameIdGetsItsOwnSession() {
        Session alice = sessions.resolve("alice", "s1", python);
        Session bob = sessions.resolve("bob", "s1", python);

        assertNotSame(alice, bob);
        assertEquals("bob", bob.principal());
        assertEquals(2, sessions.count());
        assertSame(alice, sessions.find("alice", "s1").orElseThrow());
        assertSame(bob, sessions.find("bob", "s1").orElseThrow());
    }

    @Test
    void findDoesNotCreate() {
        assertEquals(Optional.empty(), sessions.find("alice", "s1"));
        assertEquals(0, sessions.count());
    }

    @Test
    void theSessionKeepsTheContainerOptionsItsFirstRequestSet() {
        Session s = sessions.resolve("alice", "s1", Specs.spec(Language.PYTHON, Specs.DEFAULTS, Map.of("cpuLimit", "1")));

        assertEquals(Map.of("cpuLimit", "1"), s.createdWith());
    }

    @Test
    void anotherRuntimeIsAConflictNamingBoth() {
        sessions.resolve("alice", "s1", python);

        Isol8Exception.Conflict e = assertThrows(Isol8Exception.Conflict.class,
                () -> sessions.resolve("alice", "s1", Specs.spec(Language.NODE)));

        assertEquals("Cannot switch runtime from \"python\" to \"node\": session \"s1\" is bound to python. "
                + "Use a new sessionId for another runtime.", e.getMessage());
    }

    @Test
    void anotherRuntimeUnderAnotherPrincipalIsNoConflict() {
        sessions.resolve("alice", "s1", python);

        assertEquals(Language.NODE, sessions.resolve("bob", "s1", Specs.spec(Language.NODE)).runtime());
    }

    private static ContainerSettings changed(String key) {
        ContainerSettings d = Specs.DEFAULTS;
        return switch (key) {
            case "memoryLimit" -> new ContainerSettings(d.image(), 1L << 30, d.cpus(), d.pidsLimit(), d.sandboxBytes(),
                    d.tmpBytes(), d.network(), d.readonlyRootFs());
            case "cpuLimit" -> new ContainerSettings(d.image(), d.memoryBytes(), 2.0, d.pidsLimit(), d.sandboxBytes(),
                    d.tmpBytes(), d.network(), d.readonlyRootFs());
            case "pidsLimit" -> new ContainerSettings(d.image(), d.memoryBytes(), d.cpus(), 128, d.sandboxBytes(),
                    d.tmpBytes(), d.network(), d.readonlyRootFs());
            case "sandboxSize" -> new ContainerSettings(d.image(), d.memoryBytes(), d.cpus(), d.pidsLimit(), 1L << 30,
                    d.tmpBytes(), d.network(), d.readonlyRootFs());
            case "tmpSize" -> new ContainerSettings(d.image(), d.memoryBytes(), d.cpus(), d.pidsLimit(),
                    d.sandboxBytes(), 1L << 30, d.network(), d.readonlyRootFs());
            case "network" -> new ContainerSettings(d.image(), d.memoryBytes(), d.cpus(), d.pidsLimit(),
                    d.sandboxBytes(), d.tmpBytes(), Network.BRIDGE, d.readonlyRootFs());
            case "readonlyRootFs" -> new ContainerSettings(d.image(), d.memoryBytes(), d.cpus(), d.pidsLimit(),
                    d.sandboxBytes(), d.tmpBytes(), d.network(), false);
            case "image" -> new ContainerSettings("other:1", d.memoryBytes(), d.cpus(), d.pidsLimit(),
                    d.sandboxBytes(), d.tmpBytes(), d.network(), d.readonlyRootFs());
            default -> throw new IllegalArgumentException(key);
        };
    }

    @ParameterizedTest
    @CsvSource({"memoryLimit,1g", "cpuLimit,2", "pidsLimit,128", "sandboxSize,1g", "tmpSize,1g", "network,bridge",
            "readonlyRootFs,false", "image,other:1"})
    void aDifferentExplicitContainerSettingIsAConflict(String key, String value) {
        sessions.resolve("alice", "s1", python);

        Isol8Exception.Conflict e = assertThrows(Isol8Exception.Conflict.class,
                () -> sessions.resolve("alice", "s1", Specs.spec(Language.PYTHON, changed(key), Map.of(key, value))));

        assertEquals("options." + key + " " + value + " conflicts with session \"s1\" (created with the default); "
                + "container settings of a session cannot change", e.getMessage());
    }

    @Test
    void theConflictNamesTheValueTheSessionWasCreatedWith() {
        sessions.resolve("alice", "s1", Specs.spec(Language.PYTHON, Specs.DEFAULTS, Map.of("memoryLimit", "512m")));

        Isol8Exception.Conflict e = assertThrows(Isol8Exception.Conflict.class, () -> sessions.resolve("alice", "s1",
                Specs.spec(Language.PYTHON, changed("memoryLimit"), Map.of("memoryLimit", "1g"))));

        assertEquals("options.memoryLimit 1g conflicts with session \"s1\" (created with 512m); "
                + "container settings of a session cannot change", e.getMessage());
    }

    @Test
    void repeatingTheSessionsSettingsExplicitlyIsNoConflict() {
        Session s = sessions.resolve("alice", "s1",
                Specs.spec(Language.PYTHON, changed("memoryLimit"), Map.of("memoryLimit", "1g")));

        assertSame(s, sessions.resolve("alice", "s1",
                Specs.spec(Language.PYTHON, changed("memoryLimit"), Map.of("memoryLimit", "1g"))));
    }

    @Test
    void omittingTheSessionsSettingsIsNoConflict() {
        Session s = sessions.resolve("alice", "s1",
                Specs.spec(Language.PYTHON, changed("memoryLimit"), Map.of("memoryLimit", "1g")));

        assertSame(s, sessions.resolve("alice", "s1", python));
    }

    @Test
    void anExplicitSettingEqualToTheSessionsIsNoConflictWhenAnOmittedOneDiffers() {
        Session s = sessions.resolve("alice", "s1",
                Specs.spec(Language.PYTHON, changed("memoryLimit"), Map.of("memoryLimit", "1g")));

        assertSame(s, sessions.resolve("alice", "s1", Specs.spec(Language.PYTHON, Specs.DEFAULTS, Map.of("cpuLimit", "1"))));
    }

    @Test
    void theSessionLimitIsBusyWithTheLimitInTheMessage() {
        Sessions two = new Sessions(engine, 2);
        two.resolve("alice", "s1", python);
        two.resolve("bob", "s2", python);

        Isol8Exception.Busy e = assertThrows(Isol8Exception.Busy.class, () -> two.resolve("alice", "s3", python));

        assertEquals("Session limit reached (limits.maxSessions = 2)", e.getMessage());
        assertEquals(2, two.count());
        assertEquals(Optional.empty(), two.find("alice", "s3"));
    }

    @Test
    void anExistingSessionResolvesAtTheSessionLimit() {
        Sessions one = new Sessions(engine, 1);
        Session s = one.resolve("alice", "s1", python);

        assertSame(s, one.resolve("alice", "s1", python));
    }

    @Test
    void aDeletedSessionFreesItsPlaceUnderTheLimit() {
        Sessions one = new Sessions(engine, 1);
        one.resolve("alice", "s1", python);
        one.delete("alice", "s1");

        assertEquals("s2", one.resolve("alice", "s2", python).id());
    }

    @Test
    void listShowsOnlyTheCallersSessionsOldestFirst() {
        Session c = sessions.resolve("alice", "c", python);
        Threads.clockPast(c.createdAt());
        Session a = sessions.resolve("alice", "a", python);
        sessions.resolve("bob", "x", python);
        Threads.clockPast(a.createdAt());
        Session b = sessions.resolve("alice", "b", python);
        Threads.clockPast(b.createdAt());
        Session z = sessions.resolve("alice", "0", python);

        assertEquals(List.of(c, a, b, z), sessions.list("alice"));
    }

    @Test
    void listOfAPrincipalWithoutSessionsIsEmpty() {
        sessions.resolve("alice", "s1", python);

        assertEquals(List.of(), sessions.list("bob"));
    }

    @Test
    void deleteRemovesTheSessionAndDiscardsItsContainer() {
        Session s = sessions.resolve("alice", "s1", python);
        String container = withContainer(s);

        sessions.delete("alice", "s1");

        assertEquals(Optional.empty(), sessions.find("alice", "s1"));
        assertEquals(List.of(container), engine.discarded);
        assertTrue(s.deleted());
        assertEquals(0, sessions.count());
    }

    @Test
    void deleteIsIdempotent() {
        Session s = sessions.resolve("alice", "s1", python);
        String container = withContainer(s);

        sessions.delete("alice", "s1");
        sessions.delete("alice", "s1");
        sessions.delete("alice", "never");

        assertEquals(List.of(container), engine.discarded);
    }

    @Test
    void deletingASessionWithoutAContainerDiscardsNothing() {
        sessions.resolve("alice", "s1", python);

        sessions.delete("alice", "s1");

        assertEquals(List.of(), engine.discarded);
        assertEquals(0, sessions.count());
    }

    @Test
    void deleteLeavesAnotherPrincipalsSessionAlone() {
        Session bob = sessions.resolve("bob", "s1", python);
        withContainer(bob);

        sessions.delete("alice", "s1");

        assertSame(bob, sessions.find("bob", "s1").orElseThrow());
        assertFalse(bob.deleted());
        assertEquals(List.of(), engine.discarded);
    }

    @Test
    void deleteCancelsTheRunningExecution() {
        Session s = sessions.resolve("alice", "s1", python);
        CancelSignal signal = new CancelSignal();
        s.running(signal);

        sessions.delete("alice", "s1");

        assertEquals(CancelSignal.Reason.SESSION_DELETED, signal.reason());
    }

    @Test
    void aNewRequestAfterDeleteCreatesAFreshSession() {
        Session old = sessions.resolve("alice", "s1", python);
        sessions.delete("alice", "s1");

        Session fresh = sessions.resolve("alice", "s1", Specs.spec(Language.NODE));

        assertNotSame(old, fresh);
        assertEquals(Language.NODE, fresh.runtime());
    }

    @Test
    void dropForgetsTheSessionMarksItEndedAndDiscardsItsContainer() {
        Session s = sessions.resolve("alice", "s1", python);
        String container = withContainer(s);

        sessions.drop(s);

        assertEquals(Optional.empty(), sessions.find("alice", "s1"));
        assertTrue(s.ended());
        assertEquals(List.of(container), engine.discarded);
    }

    @Test
    void droppingASessionWithoutAContainerDiscardsNothing() {
        Session s = sessions.resolve("alice", "s1", python);

        sessions.drop(s);

        assertTrue(s.ended());
        assertEquals(List.of(), engine.discarded);
    }

    @Test
    void droppingAStaleSessionLeavesItsSuccessorInPlace() {
        Session old = sessions.resolve("alice", "s1", python);
        sessions.delete("alice", "s1");
        Session fresh = sessions.resolve("alice", "s1", python);

        sessions.drop(old);

        assertSame(fresh, sessions.find("alice", "s1").orElseThrow());
    }

    @Test
    void pruneRemovesIdleSessionsWithTheirContainers() {
        Session s = sessions.resolve("alice", "s1", python);
        String container = withContainer(s);
        Threads.clockPast(s.lastAccessedAt());

        assertEquals(1, sessions.prune(0));

        assertEquals(Optional.empty(), sessions.find("alice", "s1"));
        assertEquals(List.of(container), engine.discarded);
        assertTrue(s.deleted());
        assertFalse(s.isActive());
    }

    @Test
    void pruneKeepsSessionsUsedWithinTheIdleTime() {
        Session s = sessions.resolve("alice", "s1", python);
        withContainer(s);

        assertEquals(0, sessions.prune(60_000));

        assertSame(s, sessions.find("alice", "s1").orElseThrow());
        assertEquals(List.of(), engine.discarded);
        assertFalse(s.deleted());
    }

    /** Prunes from another thread, as the cleanup task does (the session lock is reentrant). */
    private int pruneElsewhere(long maxIdleMs) throws Throwable {
        return Threads.start(() -> sessions.prune(maxIdleMs)).join();
    }

    @Test
    void pruneCountsOnlyWhatItRemoved() throws Throwable {
        Session idle = sessions.resolve("alice", "idle", python);
        Threads.clockPast(idle.lastAccessedAt());
        Session busy = sessions.resolve("alice", "busy", python);
        busy.lock(later(), 8, 1000);
        Threads.clockPast(busy.lastAccessedAt());
        try {
            assertEquals(1, pruneElsewhere(0));
        } finally {
            busy.unlock();
        }
        assertEquals(List.of(busy), sessions.list("alice"));
    }

    @Test
    void pruneNeverRemovesALockedSession() throws Throwable {
        Session s = sessions.resolve("alice", "s1", python);
        withContainer(s);
        s.lock(later(), 8, 1000);
        Threads.clockPast(s.lastAccessedAt());
        try {
            assertEquals(0, pruneElsewhere(0));
        } finally {
            s.unlock();
        }
        assertSame(s, sessions.find("alice", "s1").orElseThrow());
        assertEquals(List.of(), engine.discarded);
        assertFalse(s.deleted());
    }

    @Test
    void pruneRemovesAnEndedSessionHoweverRecent() {
        Session s = sessions.resolve("alice", "s1", python);
        s.markEnded();

        assertEquals(1, sessions.prune(Long.MAX_VALUE));

        assertEquals(Optional.empty(), sessions.find("alice", "s1"));
    }

    @Test
    void pruneCancelsTheRunOfAPrunedSession() {
        Session s = sessions.resolve("alice", "s1", python);
        CancelSignal signal = new CancelSignal();
        s.running(signal);
        s.markEnded();

        sessions.prune(Long.MAX_VALUE);

        assertEquals(CancelSignal.Reason.SESSION_DELETED, signal.reason());
    }

    @Test
    void cancelAllStopsEveryRunningExecution() {
        Session a = sessions.resolve("alice", "s1", python);
        Session b = sessions.resolve("bob", "s1", python);
        sessions.resolve("carol", "idle", python);
        CancelSignal ra = new CancelSignal();
        CancelSignal rb = new CancelSignal();
        a.running(ra);
        b.running(rb);

        sessions.cancelAll(CancelSignal.Reason.SHUTDOWN);

        assertEquals(CancelSignal.Reason.SHUTDOWN, ra.reason());
        assertEquals(CancelSignal.Reason.SHUTDOWN, rb.reason());
        assertFalse(a.deleted());
        assertEquals(3, sessions.count());
    }
}
