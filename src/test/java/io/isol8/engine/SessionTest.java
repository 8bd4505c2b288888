package io.isol8.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isol8.core.Isol8Exception;
import io.isol8.core.Language;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class SessionTest {
    private final Session session = new Session("alice", "s1", Language.PYTHON, Specs.DEFAULTS, Map.of(), 1_000);

    private static long later() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    }

    private static long now() {
        return System.nanoTime();
    }

    @Test
    void aNewSessionWasLastAccessedWhenCreated() {
        assertEquals(1_000, session.createdAt());
        assertEquals(1_000, session.lastAccessedAt());
        assertFalse(session.isActive());
    }

    @Test
    void aFreeSessionIsLockedAtOnceAndMarkedActive() {
        session.lock(now(), 0, 100);

        assertTrue(session.isActive());
        session.unlock();
        assertFalse(session.isActive());
    }

    @Test
    void lockingAndUnlockingUpdateLastAccessedAt() {
        session.lock(now(), 0, 100);
        long locked = session.lastAccessedAt();
        assertTrue(locked > 1_000);

        Threads.clockPast(locked);
        session.unlock();

        assertTrue(session.lastAccessedAt() > locked);
    }

    @Test
    void aSecondLockerWaitsForTheFirst() throws Throwable {
        session.lock(later(), 8, 30_000);
        var second = Threads.start(() -> {
            session.lock(later(), 8, 30_000);
            session.unlock();
            return "locked";
        }).awaitParked();

        assertFalse(second.isDone());
        session.unlock();

        assertEquals("locked", second.join());
        assertFalse(session.isActive());
    }

    @Test
    void aLockerBeyondTheQueueIsRefusedAtOnce() {
        session.lock(later(), 0, 30_000);

        Throwable e = Threads.start(() -> {
            session.lock(later(), 0, 30_000);
            return "locked";
        }).failure();

        assertInstanceOf(Isol8Exception.Conflict.class, e);
        assertEquals("Session \"s1\" is busy (0 requests waiting)", e.getMessage());
    }

    @Test
    void theQueueHoldsExactlyMaxQueueWaiters() throws Throwable {
        session.lock(later(), 1, 30_000);
        var waiter = Threads.start(() -> {
            session.lock(later(), 1, 30_000);
            session.unlock();
            return "locked";
        }).awaitParked();

        Throwable e = Threads.start(() -> {
            session.lock(later(), 1, 30_000);
            return "locked";
        }).failure();

        assertEquals("Session \"s1\" is busy (1 requests waiting)", e.getMessage());
        session.unlock();
        assertEquals("locked", waiter.join());
    }

    @Test
    void aRefusedLockerLeavesItsQueuePlaceFree() throws Throwable {
        session.lock(later(), 1, 30_000);
        var first = Threads.start(() -> {
            session.lock(later(), 1, 30_000);
            session.unlock();
            return "first";
        }).awaitParked();
        Threads.start(() -> {
            session.lock(later(), 1, 30_000);
            return "refused";
        }).failure();
        session.unlock();
        assertEquals("first", first.join());

        session.lock(later(), 1, 30_000);
        var next = Threads.start(() -> {
            session.lock(later(), 1, 30_000);
            session.unlock();
            return "next";
        }).awaitParked();
        session.unlock();

        assertEquals("next", next.join());
    }

    @Test
    void aLockerNotServedByItsDeadlineIsRefusedWithTheQueueTimeout() {
        session.lock(later(), 8, 30_000);

        Throwable e = Threads.start(() -> {
            session.lock(now(), 8, 250);
            return "locked";
        }).failure();

        assertInstanceOf(Isol8Exception.Conflict.class, e);
        assertEquals("Session \"s1\" stayed busy for 250 ms", e.getMessage());
    }

    @Test
    void aTimedOutLockerLeavesTheQueue() {
        session.lock(later(), 1, 30_000);
        Threads.start(() -> {
            session.lock(now(), 1, 250);
            return "locked";
        }).failure();

        Throwable e = Threads.start(() -> {
            session.lock(now(), 1, 250);
            return "locked";
        }).failure();

        assertEquals("Session \"s1\" stayed busy for 250 ms", e.getMessage());
    }

    @Test
    void anInterruptedLockerIsRefusedAndKeepsItsInterrupt() {
        session.lock(later(), 8, 30_000);

        Throwable e = Threads.start(() -> {
            Thread.currentThread().interrupt();
            try {
                session.lock(later(), 8, 250);
                return "locked";
            } catch (Isol8Exception.Conflict c) {
                if (!Thread.currentThread().isInterrupted()) {
                    throw new AssertionError("interrupt flag was cleared");
                }
                throw c;
            }
        }).failure();

        assertEquals("Session \"s1\" stayed busy for 250 ms", e.getMessage());
    }

    @Test
    void lockingADeletedSessionIsAConflictAndLeavesItUnlocked() {
        session.delete();

        Isol8Exception.Conflict e = assertThrows(Isol8Exception.Conflict.class, () -> session.lock(later(), 8, 100));

        assertEquals("Session \"s1\" was deleted while this request was waiting", e.getMessage());
        assertFalse(session.isActive());
    }

    @Test
    void aWaiterOfASessionDeletedMeanwhileIsAConflictAndDoesNotHoldTheLock() throws Throwable {
        session.lock(later(), 8, 30_000);
        var waiter = Threads.start(() -> {
            session.lock(later(), 8, 30_000);
            return "locked";
        }).awaitParked();

        session.delete();
        session.unlock();

        Throwable e = waiter.failure();
        assertInstanceOf(Isol8Exception.Conflict.class, e);
        assertEquals("Session \"s1\" was deleted while this request was waiting", e.getMessage());
        assertFalse(session.isActive());
    }

    @Test
    void tryLockIdleTakesAFreeSession() {
        assertTrue(session.tryLockIdle());
        assertTrue(session.isActive());
        session.unlock();
    }

    @Test
    void tryLockIdleFailsOnAHeldSession() throws Throwable {
        session.lock(later(), 8, 30_000);

        assertFalse(Threads.start(session::tryLockIdle).join());
    }

    @Test
    void tryLockIdleFailsWhileSomeoneWaits() throws Throwable {
        session.lock(later(), 8, 30_000);
        var waiter = Threads.start(() -> {
            session.lock(later(), 8, 30_000);
            return "locked";
        }).awaitParked();

        assertFalse(Threads.start(session::tryLockIdle).join());
        session.unlock();
        assertEquals("locked", waiter.join());
    }

    @Test
    void deleteCancelsTheRunningExecutionAsSessionDeleted() {
        CancelSignal signal = new CancelSignal();
        session.running(signal);

        session.delete();

        assertTrue(session.deleted());
        assertEquals(CancelSignal.Reason.SESSION_DELETED, signal.reason());
    }

    @Test
    void deleteWithoutARunningExecutionOnlyMarksTheSession() {
        session.delete();

        assertTrue(session.deleted());
    }

    @Test
    void cancelStopsTheRunningExecutionWithTheGivenReason() {
        CancelSignal signal = new CancelSignal();
        session.running(signal);

        session.cancel(CancelSignal.Reason.SHUTDOWN);

        assertEquals(CancelSignal.Reason.SHUTDOWN, signal.reason());
        assertFalse(session.deleted());
    }

    @Test
    void aFinishedRunIsNoLongerCancelled() {
        CancelSignal signal = new CancelSignal();
        session.running(signal);
        session.running(null);

        session.cancel(CancelSignal.Reason.SHUTDOWN);
        session.delete();

        assertNull(signal.reason());
    }

    @Test
    void anEndedSessionSaysSo() {
        assertFalse(session.ended());

        session.markEnded();

        assertTrue(session.ended());
    }
}
