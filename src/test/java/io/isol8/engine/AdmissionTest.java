package io.isol8.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isol8.core.Isol8Exception;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class AdmissionTest {
    private static final long LONG = TimeUnit.SECONDS.toNanos(30);

    private final RecordingTelemetry telemetry = new RecordingTelemetry();

    private static long later() {
        return System.nanoTime() + LONG;
    }

    private static long now() {
        return System.nanoTime();
    }

    @Test
    void aFreeSlotIsGrantedAtOnceWithAZeroWait() {
        Admission admission = new Admission(1, 5, telemetry);

        admission.acquire(now(), 100);

        assertEquals(1, admission.inUse());
        assertEquals(List.of("wait"), telemetry.events);
        assertEquals(List.of(0.0), telemetry.waits);
    }

    @Test
    void permitsAreGrantedUpToMaxConcurrent() {
        Admission admission = new Admission(3, 5, telemetry);

        admission.acquire(now(), 100);
        admission.acquire(now(), 100);
        admission.acquire(now(), 100);

        assertEquals(3, admission.inUse());
        assertThrows(Isol8Exception.Busy.class, () -> admission.acquire(now(), 100));
    }

    @Test
    void noWaitersAndNoPermitsInUseAtStart() {
        Admission admission = new Admission(4, 5, telemetry);

        assertEquals(0, admission.inUse());
        assertEquals(0, admission.waiting());
    }

    @Test
    void aWaiterPastItsDeadlineIsBusyWithTheQueueTimeoutMessage() {
        Admission admission = new Admission(1, 5, telemetry);
        admission.acquire(now(), 100);
        telemetry.events.clear();

        Isol8Exception.Busy e = assertThrows(Isol8Exception.Busy.class, () -> admission.acquire(now(), 1234));

        assertEquals("Server busy: no execution slot within 1234 ms (queueTimeoutMs)", e.getMessage());
        assertEquals(List.of("wait", "rejected queue_timeout"), telemetry.events);
        assertEquals(0, admission.waiting());
        assertEquals(1, admission.inUse());
    }

    @Test
    void aDeadlineInThePastFailsAtOnce() {
        Admission admission = new Admission(1, 5, telemetry);
        admission.acquire(now(), 100);

        assertThrows(Isol8Exception.Busy.class, () -> admission.acquire(now() - LONG, 100));
    }

    @Test
    void aWaiterWaitsUntilItsDeadlineAndReportsTheWait() {
        Admission admission = new Admission(1, 5, telemetry);
        admission.acquire(now(), 100);
        telemetry.waits.clear();
        long deadline = now() + TimeUnit.MILLISECONDS.toNanos(100);

        assertThrows(Isol8Exception.Busy.class, () -> admission.acquire(deadline, 100));

        assertTrue(System.nanoTime() >= deadline, "gave up before its deadline");
        assertTrue(telemetry.waits.getFirst() >= 0.05, "reported wait " + telemetry.waits);
        assertTrue(telemetry.waits.getFirst() < 30, "wait is in seconds: " + telemetry.waits);
    }

    @Test
    void oneWaiterTooManyIsBusyWithTheQueueFullMessage() throws Throwable {
        Admission admission = new Admission(1, 1, telemetry);
        Admission.Permit held = admission.acquire(now(), 100);
        var first = Threads.start(() -> admission.acquire(later(), 30_000)).awaitParked();
        telemetry.events.clear();

        Isol8Exception.Busy e = assertThrows(Isol8Exception.Busy.class, () -> admission.acquire(later(), 30_000));

        assertEquals("Server busy: 1 requests already waiting (maxQueued)", e.getMessage());
        assertEquals(List.of("rejected queue_full"), telemetry.events);
        assertEquals(1, admission.waiting());
        held.close();
        first.join().close();
        assertEquals(0, admission.waiting());
        assertEquals(0, admission.inUse());
    }

    @Test
    void withNoQueueABusyServerRejectsAtOnce() {
        Admission admission = new Admission(1, 0, telemetry);
        admission.acquire(now(), 100);
        telemetry.events.clear();

        Isol8Exception.Busy e = assertThrows(Isol8Exception.Busy.class, () -> admission.acquire(later(), 30_000));

        assertEquals("Server busy: 0 requests already waiting (maxQueued)", e.getMessage());
        assertEquals(List.of("rejected queue_full"), telemetry.events);
        assertEquals(0, admission.waiting());
    }

    @Test
    void waitingCountsTheQueuedRequests() throws Throwable {
        Admission admission = new Admission(1, 5, telemetry);
        Admission.Permit held = admission.acquire(now(), 100);

        var a = Threads.start(() -> admission.acquire(later(), 30_000)).awaitParked();
        assertEquals(1, admission.waiting());
        var b = Threads.start(() -> admission.acquire(later(), 30_000)).awaitParked();
        assertEquals(2, admission.waiting());

        held.close();
        a.join().close();
        b.join().close();
        assertEquals(0, admission.waiting());
        assertEquals(0, admission.inUse());
    }

    @Test
    void aWaiterGetsTheReleasedPermit() throws Throwable {
        Admission admission = new Admission(1, 5, telemetry);
        Admission.Permit held = admission.acquire(now(), 100);
        var waiter = Threads.start(() -> admission.acquire(later(), 30_000)).awaitParked();

        held.close();

        Admission.Permit got = waiter.join();
        assertEquals(1, admission.inUse());
        assertEquals(0, admission.waiting());
        got.close();
        assertEquals(0, admission.inUse());
    }

    @Test
    void aNewcomerDoesNotOvertakeAWaiter() throws Throwable {
        Admission admission = new Admission(1, 5, telemetry);
        Admission.Permit held = admission.acquire(now(), 100);
        var waiter = Threads.start(() -> admission.acquire(later(), 30_000)).awaitParked();

        held.close();
        assertThrows(Isol8Exception.Busy.class, () -> admission.acquire(now(), 5));

        waiter.join().close();
        assertEquals(0, admission.inUse());
    }

    @Test
    void closingAPermitTwiceReleasesOnce() {
        Admission admission = new Admission(2, 5, telemetry);
        Admission.Permit a = admission.acquire(now(), 100);
        admission.acquire(now(), 100);

        a.close();
        a.close();

        assertEquals(1, admission.inUse());
    }

    @Test
    void closingAPermitFreesItsSlotForTheNextCaller() {
        Admission admission = new Admission(1, 5, telemetry);
        Admission.Permit a = admission.acquire(now(), 100);

        a.close();

        assertEquals(0, admission.inUse());
        admission.acquire(now(), 100);
        assertEquals(1, admission.inUse());
    }

    @Test
    void anInterruptedWaiterIsBusyAndKeepsItsInterrupt() {
        Admission admission = new Admission(1, 5, telemetry);
        admission.acquire(now(), 100);

        Thread.currentThread().interrupt();
        Isol8Exception.Busy e;
        try {
            e = assertThrows(Isol8Exception.Busy.class, () -> admission.acquire(later(), 30_000));
        } finally {
            assertTrue(Thread.interrupted(), "interrupt flag was cleared");
        }

        assertEquals("Server busy: interrupted while waiting", e.getMessage());
        assertEquals(0, admission.waiting());
        assertFalse(telemetry.events.contains("rejected queue_timeout"));
    }
}
