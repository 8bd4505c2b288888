package io.isol8.engine;

import static io.isol8.engine.ScriptedEngine.GONE;
import static io.isol8.engine.ScriptedEngine.OK;
import static io.isol8.engine.ScriptedEngine.ended;
import static io.isol8.engine.ScriptedEngine.exited;
import static io.isol8.engine.ScriptedEngine.id;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception;
import io.isol8.core.Language;
import io.isol8.engine.RunOutcome.Ending;
import io.isol8.engine.RunOutcome.FailedPhase;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ExecutionsTest {
    private static final long QUEUE_TIMEOUT_MS = 30_000;

    private final ScriptedEngine engine = new ScriptedEngine();
    private final RecordingTelemetry telemetry = new RecordingTelemetry();
    private final Sessions sessions = new Sessions(engine, 10);
    private final ExecutionSpec python = Specs.spec(Language.PYTHON);
    private final EventSink sink = new EventSink(engine.events);
    private Admission admission = new Admission(2, 10, Telemetry.NONE);
    private Executions executions = executions(admission, 8);

    private Executions executions(Admission a, int maxSessionQueue) {
        admission = a;
        executions = new Executions(engine, sessions, a, QUEUE_TIMEOUT_MS, maxSessionQueue, telemetry);
        return executions;
    }

    @AfterEach
    void everythingTakenIsReleased() {
        assertEquals(0, admission.inUse(), "admission permits still in use");
        assertEquals(0, admission.waiting(), "requests still waiting for admission");
        for (String principal : List.of("alice", "bob")) {
            sessions.list(principal).forEach(s -> assertFalse(s.isActive(), "session " + s.id() + " still locked"));
        }
    }

    /** Records the sink calls into the engine's event list, so their order against the runs shows. */
    private record EventSink(List<String> events) implements OutputSink {
        @Override
        public void started() {
            events.add("started");
        }

        @Override
        public void output(StreamKind stream, Phase phase, String text) {
            events.add("output " + stream.wireName() + " " + phase.wireName() + " " + text);
        }

        @Override
        public void truncated(StreamKind stream, Phase phase) {
            events.add("truncated " + stream.wireName() + " " + phase.wireName());
        }

        @Override
        public void setupSucceeded() {
            events.add("setupSucceeded");
        }
    }

    private Call ephemeralCall() {
        return new Call("exec-1", "alice", python, Optional.empty(), System.nanoTime());
    }

    private Call sessionCall(String sessionId) {
        return new Call("exec-1", "alice", python, Optional.of(sessionId), System.nanoTime());
    }

    private Finished run(Call call) {
        return executions.run(call, sink, new CancelSignal());
    }

    /** A run that signals it started, then holds its container until {@code release}. */
    private static ScriptedEngine.Program blocking(CountDownLatch entered, CountDownLatch release, RunOutcome result) {
        return (spec, sink, cancel) -> {
            entered.countDown();
            await(release);
            return result;
        };
    }

    /** A run that signals it started, then runs until it is cancelled. */
    private static ScriptedEngine.Program untilCancelled(CountDownLatch entered) {
        return (spec, sink, cancel) -> {
            entered.countDown();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!cancel.isCancelled()) {
                if (System.nanoTime() > end) {
                    throw new AssertionError("the run was never cancelled");
                }
                LockSupport.parkNanos(100_000);
            }
            return ended(Ending.CANCELLED, 137, 5);
        };
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released in time");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    // ---- ephemeral ----

    @Test
    void anEphemeralRunReturnsItsContainerAndOutcome() {
        engine.then((spec, s, c) -> exited(3, 42));

        Finished f = run(ephemeralCall());

        assertEquals(id(1), f.containerId());
        assertEquals(3, f.outcome().exitCode());
        assertEquals(42, f.outcome().durationMs());
    }

    @Test
    void anEphemeralRunStartsBeforeItsContainerRunsAndClosesItAfter() {
        run(ephemeralCall());

        assertEquals(List.of("ephemeral " + id(1), "started", "run " + id(1), "close " + id(1)), engine.events);
    }

    @Test
    void outputAndSetupSuccessReachTheSinkInOrder() {
        engine.then((spec, s, c) -> {
            s.output(StreamKind.STDERR, Phase.SETUP, "installing");
            s.setupSucceeded();
            s.output(StreamKind.STDOUT, Phase.CODE, "hi");
            return exited(0, 1);
        });

        run(ephemeralCall());

        assertEquals(List.of("ephemeral " + id(1), "started", "run " + id(1), "output stderr setup installing",
                "setupSucceeded", "output stdout code hi", "close " + id(1)), engine.events);
    }

    @ParameterizedTest
    @EnumSource(StreamKind.class)
    void aTruncatedStreamIsCountedAndPassedOn(StreamKind stream) {
        engine.then((spec, s, c) -> {
            s.truncated(stream, Phase.CODE);
            return exited(0, 1);
        });

        run(ephemeralCall());

        assertEquals(List.of("truncated " + stream.wireName()), telemetry.only("truncated"));
        assertTrue(engine.events.contains("truncated " + stream.wireName() + " code"));
    }

    @Test
    void aDeadWarmContainerIsReplacedOnceAndTheRunStartsAgain() {
        engine.then(GONE, (spec, s, c) -> exited(0, 7));

        Finished f = run(ephemeralCall());

        assertEquals(id(2), f.containerId());
        assertEquals(7, f.outcome().durationMs());
        assertEquals(List.of("ephemeral " + id(1), "started", "run " + id(1), "close " + id(1),
                "ephemeral " + id(2), "started", "run " + id(2), "close " + id(2)), engine.events);
        assertEquals(List.of("finished python ephemeral ok 0.007"), telemetry.only("finished"));
    }

    @Test
    void aContainerDeadTwiceIsUnavailable() {
        engine.then(GONE, GONE);

        Isol8Exception.Unavailable e = assertThrows(Isol8Exception.Unavailable.class, () -> run(ephemeralCall()));

        assertEquals("The container stopped before the program could start. Retry the request.", e.getMessage());
        assertEquals(2, engine.ephemeralCalls.get());
        assertEquals(List.of(id(1), id(2)), engine.closed);
    }

    @Test
    void aFailureAfterTheStartIsReportedAsAnError() {
        engine.then(GONE, GONE);

        assertThrows(Isol8Exception.Unavailable.class, () -> run(ephemeralCall()));

        assertEquals(List.of("finished python ephemeral error 0.0"), telemetry.only("finished"));
    }

    @Test
    void anUnexpectedFailureOfTheRunIsPassedOnAndClosesTheContainer() {
        IllegalStateException bug = new IllegalStateException("bug");
        engine.then((spec, s, c) -> {
            throw bug;
        });

        assertSame(bug, assertThrows(IllegalStateException.class, () -> run(ephemeralCall())));

        assertEquals(List.of(id(1)), engine.closed);
        assertEquals(1, engine.ephemeralCalls.get());
        assertEquals(List.of("finished python ephemeral error 0.0"), telemetry.only("finished"));
    }

    @Test
    void anUnreachableEngineIsUnavailableBeforeAnyContainerWork() {
        engine.reachable = false;

        Isol8Exception.Unavailable e = assertThrows(Isol8Exception.Unavailable.class, () -> run(ephemeralCall()));

        assertEquals("Docker engine is not reachable at unix:///scripted.sock. Start the Docker daemon or set "
                + "docker.host.", e.getMessage());
        assertEquals(0, engine.ephemeralCalls.get());
        assertFalse(engine.events.contains("started"));
        assertEquals(List.of(), telemetry.only("finished"));
    }

    @Test
    void aFullAdmissionQueueIsBusyBeforeAnyContainerWork() {
        executions(new Admission(1, 0, Telemetry.NONE), 8);
        Admission.Permit held = admission.acquire(System.nanoTime(), 0);
        try {
            Isol8Exception.Busy e = assertThrows(Isol8Exception.Busy.class, () -> run(ephemeralCall()));

            assertEquals("Server busy: 0 requests already waiting (maxQueued)", e.getMessage());
        } finally {
            held.close();
        }
        assertEquals(0, engine.ephemeralCalls.get());
        assertEquals(List.of(), telemetry.only("finished"));
    }

    @Test
    void theAdmissionDeadlineCountsFromArrival() {
        executions(new Admission(1, 5, Telemetry.NONE), 8);
        Admission.Permit held = admission.acquire(System.nanoTime(), 0);
        Call arrivedLongAgo = new Call("exec-1", "alice", python, Optional.empty(),
                System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(QUEUE_TIMEOUT_MS + 1_000));
        try {
            Isol8Exception.Busy e = assertThrows(Isol8Exception.Busy.class, () -> run(arrivedLongAgo));

            assertEquals("Server busy: no execution slot within 30000 ms (queueTimeoutMs)", e.getMessage());
        } finally {
            held.close();
        }
    }

    @Test
    void theRunHoldsAPermitWhileItRuns() {
        engine.then((spec, s, c) -> {
            assertEquals(1, admission.inUse());
            return exited(0, 1);
        });

        run(ephemeralCall());

        assertEquals(0, admission.inUse());
    }

    // ---- telemetry ----

    static RunOutcome outcome(Ending ending, int exit, Optional<FailedPhase> failed) {
        return new RunOutcome(exit, 1500, ending, failed, "", "", Map.of(), 0, 0);
    }

    @Test
    void anExitZeroIsReportedOk() {
        assertOutcomeLabel(outcome(Ending.EXITED, 0, Optional.empty()), "ok");
    }

    @Test
    void aNonZeroExitIsReportedNonzero() {
        assertOutcomeLabel(outcome(Ending.EXITED, 1, Optional.empty()), "nonzero");
    }

    @Test
    void aTimeoutIsReportedTimeout() {
        assertOutcomeLabel(outcome(Ending.TIMED_OUT, 137, Optional.empty()), "timeout");
    }

    @Test
    void anOomKillIsReportedOom() {
        assertOutcomeLabel(outcome(Ending.OOM_KILLED, 137, Optional.empty()), "oom");
    }

    @Test
    void aFailedSetupScriptIsReportedSetupFailed() {
        assertOutcomeLabel(outcome(Ending.EXITED, 2, Optional.of(FailedPhase.SETUP)), "setup_failed");
    }

    @Test
    void aFailedInstallIsReportedSetupFailed() {
        assertOutcomeLabel(outcome(Ending.EXITED, 0, Optional.of(FailedPhase.INSTALL)), "setup_failed");
    }

    @Test
    void aCancelledRunIsReportedAsAnError() {
        assertOutcomeLabel(outcome(Ending.CANCELLED, 137, Optional.empty()), "error");
    }

    private void assertOutcomeLabel(RunOutcome outcome, String label) {
        engine.then((spec, s, c) -> outcome);

        run(ephemeralCall());

        assertEquals(List.of("finished python ephemeral " + label + " 1.5"), telemetry.only("finished"));
    }

    @Test
    void aSessionRunIsReportedAsSession() {
        run(sessionCall("s1"));

        assertEquals(List.of("finished python session ok 0.01"), telemetry.only("finished"));
    }

    @Test
    void aClientThatWentAwayIsCounted() {
        engine.then((spec, s, c) -> {
            c.cancel(CancelSignal.Reason.CLIENT_GONE);
            return ended(Ending.CANCELLED, 137, 3);
        });

        run(ephemeralCall());

        assertEquals(List.of("finished python ephemeral error 0.003", "clientDisconnected"), telemetry.events);
    }

    @Test
    void otherCancellationsAreNotCountedAsDisconnects() {
        engine.then((spec, s, c) -> {
            c.cancel(CancelSignal.Reason.SHUTDOWN);
            return ended(Ending.CANCELLED, 137, 3);
        });

        run(ephemeralCall());

        assertEquals(List.of(), telemetry.only("clientDisconnected"));
    }

    // ---- sessions ----

    @Test
    void aSessionsContainerIsCreatedOnceAndReused() {
        Finished first = run(sessionCall("s1"));
        Finished second = run(sessionCall("s1"));

        assertEquals(id(1), first.containerId());
        assertEquals(id(1), second.containerId());
        assertEquals(List.of("session alice/s1 " + id(1), "started", "run " + id(1), "started", "run " + id(1)),
                engine.events);
        assertEquals(0, engine.ephemeralCalls.get());
        assertEquals(List.of(), engine.closed);
    }

    @Test
    void aSessionRunHoldsTheSessionLockAndAPermit() {
        engine.then((spec, s, c) -> {
            assertTrue(sessions.find("alice", "s1").orElseThrow().isActive());
            assertEquals(1, admission.inUse());
            return exited(0, 1);
        });

        run(sessionCall("s1"));
    }

    @Test
    void aRunningSessionRunIsStoppedByDeletingTheSession() {
        CancelSignal cancel = new CancelSignal();
        engine.then((spec, s, c) -> {
            sessions.delete("alice", "s1");
            return ended(Ending.CANCELLED, 137, 1);
        });

        executions.run(sessionCall("s1"), sink, cancel);

        assertEquals(CancelSignal.Reason.SESSION_DELETED, cancel.reason());
        assertEquals(List.of(id(1)), engine.discarded);
    }

    @Test
    void aFinishedSessionRunIsNoLongerCancelledByTheSession() {
        CancelSignal cancel = new CancelSignal();
        executions.run(sessionCall("s1"), sink, cancel);

        sessions.delete("alice", "s1");

        assertNull(cancel.reason());
    }

    @Test
    void aFailedContainerCreationLeavesNoSession() {
        Isol8Exception.Unavailable missing = Isol8Exception.Unavailable.imageMissing("isol8/python:1", Language.PYTHON);
        engine.sessionFailure = () -> missing;

        assertSame(missing, assertThrows(Isol8Exception.Unavailable.class, () -> run(sessionCall("s1"))));

        assertEquals(Optional.empty(), sessions.find("alice", "s1"));
        assertFalse(engine.events.contains("started"));
        assertEquals(List.of(), telemetry.only("finished"));
    }

    @Test
    void theNextRequestAfterAFailedCreationTriesAgain() {
        engine.sessionFailure = () -> new Isol8Exception.Unavailable("no");
        assertThrows(Isol8Exception.Unavailable.class, () -> run(sessionCall("s1")));
        engine.sessionFailure = null;

        Finished f = run(sessionCall("s1"));

        assertEquals(2, engine.sessionCalls.get());
        assertEquals(id(1), f.containerId());
    }

    @Test
    void aWaiterOfAFailedCreationFailsTheSameWay() throws Throwable {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Isol8Exception.Unavailable missing = Isol8Exception.Unavailable.imageMissing("isol8/python:1", Language.PYTHON);
        engine.onSession = () -> {
            entered.countDown();
            await(release);
        };
        engine.sessionFailure = () -> missing;
        var first = Threads.start(() -> run(sessionCall("s1")));
        await(entered);
        var second = Threads.start(() -> run(sessionCall("s1"))).awaitParked();

        release.countDown();

        assertSame(missing, first.failure());
        assertSame(missing, second.failure());
        assertEquals(1, engine.sessionCalls.get());
    }

    @Test
    void aSessionDeletedWhileItsContainerWasCreatedIsAConflictAndTheContainerIsDiscarded() {
        engine.onSession = () -> sessions.delete("alice", "s1");

        Isol8Exception.Conflict e = assertThrows(Isol8Exception.Conflict.class, () -> run(sessionCall("s1")));

        assertEquals("Session \"s1\" was deleted while this request was waiting", e.getMessage());
        assertEquals(List.of(id(1)), engine.discarded);
        assertFalse(engine.events.contains("started"));
        assertFalse(engine.events.contains("run " + id(1)));
    }

    @Test
    void aRequestWaitingForADeletedSessionIsAConflict() throws Throwable {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CancelSignal firstCancel = new CancelSignal();
        engine.then(blocking(entered, release, ended(Ending.CANCELLED, 137, 1)));
        var first = Threads.start(() -> executions.run(sessionCall("s1"), sink, firstCancel));
        await(entered);
        var second = Threads.start(() -> run(sessionCall("s1"))).awaitParked();

        sessions.delete("alice", "s1");
        release.countDown();

        assertEquals(Ending.CANCELLED, first.join().outcome().ending());
        assertEquals(CancelSignal.Reason.SESSION_DELETED, firstCancel.reason());
        Throwable e = second.failure();
        assertInstanceOf(Isol8Exception.Conflict.class, e);
        assertEquals("Session \"s1\" was deleted while this request was waiting", e.getMessage());
        assertEquals(1, engine.sessionCalls.get());
    }

    @Test
    void aSessionWhoseContainerIsGoneEndsWithAConflict() {
        engine.then(GONE);

        Isol8Exception.Conflict e = assertThrows(Isol8Exception.Conflict.class, () -> run(sessionCall("s1")));

        assertEquals("Session \"s1\" ended: its container is no longer running. Start a new session.", e.getMessage());
        assertEquals(Optional.empty(), sessions.find("alice", "s1"));
        assertEquals(List.of(id(1)), engine.discarded);
        assertEquals(List.of("finished python session error 0.0"), telemetry.only("finished"));
    }

    @Test
    void aRequestWaitingForASessionWhoseContainerWentAwayIsAConflict() throws Throwable {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        engine.then((spec, s, c) -> {
            entered.countDown();
            await(release);
            throw new ContainerGoneException(id(1));
        });
        var first = Threads.start(() -> run(sessionCall("s1")));
        await(entered);
        var second = Threads.start(() -> run(sessionCall("s1"))).awaitParked();

        release.countDown();

        assertInstanceOf(Isol8Exception.Conflict.class, first.failure());
        Throwable e = second.failure();
        assertEquals("Session \"s1\" ended: its container is no longer running. Start a new session.", e.getMessage());
        assertEquals(List.of("session alice/s1 " + id(1), "started", "run " + id(1)),
                engine.events.stream().filter(x -> !x.startsWith("discard")).toList());
        assertEquals(Optional.empty(), sessions.find("alice", "s1"));
    }

    @Test
    void aSessionKeepsItsContainerWhenTheProcessesOfAGoneClientAreKilled() {
        engine.then((spec, s, c) -> {
            c.cancel(CancelSignal.Reason.CLIENT_GONE);
            return ended(Ending.CANCELLED, 137, 1);
        });

        run(sessionCall("s1"));

        assertTrue(engine.events.contains("killAll " + id(1)));
        assertTrue(sessions.find("alice", "s1").isPresent());
        assertEquals(List.of(), engine.discarded);
    }

    @Test
    void aSessionWhoseProcessesCannotBeKilledIsDropped() {
        engine.killAllSucceeds = false;
        engine.then((spec, s, c) -> {
            c.cancel(CancelSignal.Reason.CLIENT_GONE);
            return ended(Ending.CANCELLED, 137, 1);
        });

        Finished f = run(sessionCall("s1"));

        assertEquals(id(1), f.containerId());
        assertEquals(Optional.empty(), sessions.find("alice", "s1"));
        assertEquals(List.of(id(1)), engine.discarded);
    }

    @Test
    void processesAreNotKilledWhenTheClientStayed() {
        engine.killAllSucceeds = false;
        engine.then((spec, s, c) -> {
            c.cancel(CancelSignal.Reason.SHUTDOWN);
            return ended(Ending.CANCELLED, 137, 1);
        });

        run(sessionCall("s1"));

        assertFalse(engine.events.contains("killAll " + id(1)));
        assertTrue(sessions.find("alice", "s1").isPresent());
    }

    @Test
    void aSessionBusyBeyondItsQueueIsAConflict() throws Throwable {
        executions(admission, 0);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        engine.then(blocking(entered, release, exited(0, 1)));
        var first = Threads.start(() -> run(sessionCall("s1")));
        await(entered);

        Throwable e = Threads.start(() -> run(sessionCall("s1"))).failure();

        release.countDown();
        first.join();
        assertInstanceOf(Isol8Exception.Conflict.class, e);
        assertEquals("Session \"s1\" is busy (0 requests waiting)", e.getMessage());
    }

    @Test
    void aSessionRunRefusedAdmissionReleasesTheSessionLock() {
        executions(new Admission(1, 0, Telemetry.NONE), 8);
        Admission.Permit held = admission.acquire(System.nanoTime(), 0);
        try {
            assertThrows(Isol8Exception.Busy.class, () -> run(sessionCall("s1")));
        } finally {
            held.close();
        }

        assertTrue(sessions.find("alice", "s1").isEmpty());
        assertEquals(0, engine.sessionCalls.get());
        run(sessionCall("s1"));
        assertFalse(sessions.find("alice", "s1").orElseThrow().isActive());
        assertEquals(1, engine.sessionCalls.get());
    }

    @Test
    void aSessionRunNeedsAReachableEngine() {
        engine.reachable = false;

        assertThrows(Isol8Exception.Unavailable.class, () -> run(sessionCall("s1")));

        assertEquals(0, engine.sessionCalls.get());
    }

    @Test
    void sessionRuntimeConflictsComeBeforeAdmission() {
        run(sessionCall("s1"));
        Call node = new Call("exec-2", "alice", Specs.spec(Language.NODE), Optional.of("s1"), System.nanoTime());

        assertThrows(Isol8Exception.Conflict.class, () -> run(node));
    }

    // api.md §9.1: a session is created once its first request has passed its session lock and admission;
    // a request refused before its container exists must leave no session behind.

    @Test
    void aNewSessionRefusedAdmissionIsNotKept() {
        executions(new Admission(1, 0, Telemetry.NONE), 8);
        Admission.Permit held = admission.acquire(System.nanoTime(), 0);
        try {
            assertThrows(Isol8Exception.Busy.class, () -> run(sessionCall("s1")));
        } finally {
            held.close();
        }

        assertEquals(List.of(), sessions.list("alice"));
    }

    @Test
    void aNewSessionRefusedForAnUnreachableEngineIsNotKept() {
        engine.reachable = false;

        assertThrows(Isol8Exception.Unavailable.class, () -> run(sessionCall("s1")));

        assertEquals(List.of(), sessions.list("alice"));
    }

    @Test
    void newSessionsRefusedAdmissionDoNotUseUpTheSessionLimit() {
        Sessions two = new Sessions(engine, 2);
        Admission full = new Admission(1, 0, Telemetry.NONE);
        Executions busy = new Executions(engine, two, full, QUEUE_TIMEOUT_MS, 8, telemetry);
        Admission.Permit held = full.acquire(System.nanoTime(), 0);
        try {
            assertThrows(Isol8Exception.Busy.class, () -> busy.run(sessionCall("a"), sink, new CancelSignal()));
            assertThrows(Isol8Exception.Busy.class, () -> busy.run(sessionCall("b"), sink, new CancelSignal()));
        } finally {
            held.close();
        }

        Finished f = busy.run(sessionCall("c"), sink, new CancelSignal());

        assertEquals(id(1), f.containerId());
    }

    // ---- file operations ----

    @Test
    void aFileOperationRunsOnTheSessionsContainerUnderItsLock() {
        run(sessionCall("s1"));

        String seen = executions.withSession("alice", "s1", box -> {
            assertTrue(sessions.find("alice", "s1").orElseThrow().isActive());
            assertEquals(0, admission.inUse());
            return box.containerId();
        });

        assertEquals(id(1), seen);
    }

    @Test
    void aFileOperationWaitsForTheRunningExecution() throws Throwable {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        engine.then(blocking(entered, release, exited(0, 1)));
        var running = Threads.start(() -> run(sessionCall("s1")));
        await(entered);

        var file = Threads.start(() -> executions.withSession("alice", "s1", Sandbox::containerId)).awaitParked();
        assertFalse(file.isDone());
        release.countDown();

        running.join();
        assertEquals(id(1), file.join());
    }

    @Test
    void aFileOperationOnAnUnknownSessionIsNotFound() {
        run(sessionCall("s1"));

        Isol8Exception.NotFound e = assertThrows(Isol8Exception.NotFound.class,
                () -> executions.withSession("bob", "s1", Sandbox::containerId));

        assertEquals("Session not found", e.getMessage());
    }

    @Test
    void aFileOperationOnASessionWithoutAContainerIsNotFound() {
        sessions.resolve("alice", "s1", python);

        Isol8Exception.NotFound e = assertThrows(Isol8Exception.NotFound.class,
                () -> executions.withSession("alice", "s1", Sandbox::containerId));

        assertEquals("Session not found", e.getMessage());
    }

    @Test
    void aFileOperationOnAGoneContainerEndsTheSession() {
        run(sessionCall("s1"));

        Isol8Exception.Conflict e = assertThrows(Isol8Exception.Conflict.class,
                () -> executions.withSession("alice", "s1", box -> {
                    throw new ContainerGoneException(box.containerId());
                }));

        assertEquals("Session \"s1\" ended: its container is no longer running. Start a new session.", e.getMessage());
        assertEquals(Optional.empty(), sessions.find("alice", "s1"));
        assertEquals(List.of(id(1)), engine.discarded);
    }

    @Test
    void aFileOperationOnAnEndedSessionIsAConflict() {
        run(sessionCall("s1"));
        sessions.find("alice", "s1").orElseThrow().markEnded();

        Isol8Exception.Conflict e = assertThrows(Isol8Exception.Conflict.class,
                () -> executions.withSession("alice", "s1", Sandbox::containerId));

        assertEquals("Session \"s1\" ended: its container is no longer running. Start a new session.", e.getMessage());
        assertEquals(Optional.empty(), sessions.find("alice", "s1"));
    }

    @Test
    void aRunInAnEndedSessionIsAConflictAndDropsIt() {
        run(sessionCall("s1"));
        sessions.find("alice", "s1").orElseThrow().markEnded();

        Isol8Exception.Conflict e = assertThrows(Isol8Exception.Conflict.class, () -> run(sessionCall("s1")));

        assertEquals("Session \"s1\" ended: its container is no longer running. Start a new session.", e.getMessage());
        assertEquals(Optional.empty(), sessions.find("alice", "s1"));
        assertEquals(List.of(id(1)), engine.discarded);
    }

    @Test
    void aFileOperationDuringShutdownIsUnavailable() {
        run(sessionCall("s1"));
        executions.shutdown(0);

        Isol8Exception.Unavailable e = assertThrows(Isol8Exception.Unavailable.class,
                () -> executions.withSession("alice", "s1", Sandbox::containerId));

        assertEquals("Server is shutting down", e.getMessage());
    }

    // ---- shutdown ----

    @Test
    void aRunAfterShutdownIsUnavailable() {
        assertFalse(executions.stopping());
        executions.shutdown(0);

        Isol8Exception.Unavailable e = assertThrows(Isol8Exception.Unavailable.class, () -> run(ephemeralCall()));

        assertEquals("Server is shutting down", e.getMessage());
        assertTrue(executions.stopping());
        assertEquals(0, engine.ephemeralCalls.get());
        assertEquals(List.of(), telemetry.only("finished"));
    }

    @Test
    void shutdownWaitsForARunningRunWithinTheGrace() throws Throwable {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CancelSignal cancel = new CancelSignal();
        engine.then(blocking(entered, release, exited(0, 1)));
        var running = Threads.start(() -> executions.run(ephemeralCall(), sink, cancel));
        await(entered);

        var shutdown = Threads.start(() -> {
            executions.shutdown(30_000);
            return "stopped";
        }).awaitParked();
        assertFalse(shutdown.isDone());
        release.countDown();

        assertEquals(0, running.join().outcome().exitCode());
        assertEquals("stopped", shutdown.join());
        assertNull(cancel.reason());
    }

    @Test
    void shutdownCancelsARunThatOutlivesTheGrace() throws Throwable {
        CountDownLatch entered = new CountDownLatch(1);
        CancelSignal cancel = new CancelSignal();
        engine.then(untilCancelled(entered));
        var running = Threads.start(() -> executions.run(ephemeralCall(), sink, cancel));
        await(entered);

        executions.shutdown(1);

        assertEquals(Ending.CANCELLED, running.join().outcome().ending());
        assertEquals(CancelSignal.Reason.SHUTDOWN, cancel.reason());
    }

    @Test
    void shutdownCancelsRunningSessionRuns() throws Throwable {
        CountDownLatch entered = new CountDownLatch(1);
        CancelSignal cancel = new CancelSignal();
        engine.then(untilCancelled(entered));
        var running = Threads.start(() -> executions.run(sessionCall("s1"), sink, cancel));
        await(entered);

        executions.shutdown(0);

        assertEquals(Ending.CANCELLED, running.join().outcome().ending());
        assertEquals(CancelSignal.Reason.SHUTDOWN, cancel.reason());
    }

    @Test
    void shutdownStopsTheRunsOfEverySession() {
        CancelSignal signal = new CancelSignal();
        sessions.resolve("alice", "s1", python).running(signal);

        executions.shutdown(0);

        assertEquals(CancelSignal.Reason.SHUTDOWN, signal.reason());
    }

    @Test
    void aRequestQueuedForAdmissionAtShutdownIsUnavailableWhenAdmitted() throws Throwable {
        executions(new Admission(1, 5, Telemetry.NONE), 8);
        CountDownLatch entered = new CountDownLatch(1);
        engine.then(untilCancelled(entered));
        var first = Threads.start(() -> run(ephemeralCall()));
        await(entered);
        var queued = Threads.start(() -> run(ephemeralCall())).awaitParked();

        executions.shutdown(0);

        assertEquals(Ending.CANCELLED, first.join().outcome().ending());
        Throwable e = queued.failure();
        assertInstanceOf(Isol8Exception.Unavailable.class, e);
        assertEquals("Server is shutting down", e.getMessage());
        assertEquals(1, engine.ephemeralCalls.get());
    }

    @Test
    void aSessionRequestQueuedAtShutdownIsUnavailableWhenAdmitted() throws Throwable {
        executions(new Admission(1, 5, Telemetry.NONE), 8);
        CountDownLatch entered = new CountDownLatch(1);
        engine.then(untilCancelled(entered));
        var first = Threads.start(() -> run(ephemeralCall()));
        await(entered);
        var queued = Threads.start(() -> run(sessionCall("s1"))).awaitParked();

        executions.shutdown(0);

        first.join();
        Throwable e = queued.failure();
        assertEquals("Server is shutting down", e.getMessage());
        assertEquals(0, engine.sessionCalls.get());
    }

    @Test
    void aRunAfterShutdownIsUnavailableEvenWhenTheServerIsBusy() {
        executions(new Admission(1, 0, Telemetry.NONE), 8);
        Admission.Permit held = admission.acquire(System.nanoTime(), 0);
        executions.shutdown(0);
        try {
            Isol8Exception.Unavailable e = assertThrows(Isol8Exception.Unavailable.class, () -> run(ephemeralCall()));

            assertEquals("Server is shutting down", e.getMessage());
        } finally {
            held.close();
        }
    }

    @Test
    void aSessionRunAfterShutdownCreatesNoSession() {
        executions.shutdown(0);

        assertThrows(Isol8Exception.Unavailable.class, () -> run(sessionCall("s1")));

        assertEquals(0, sessions.count());
    }

    @Test
    void anInterruptedShutdownCancelsAtOnceAndKeepsTheInterrupt() throws Throwable {
        CountDownLatch entered = new CountDownLatch(1);
        CancelSignal cancel = new CancelSignal();
        engine.then(untilCancelled(entered));
        var running = Threads.start(() -> executions.run(ephemeralCall(), sink, cancel));
        await(entered);

        Thread.currentThread().interrupt();
        try {
            executions.shutdown(30_000);
        } finally {
            assertTrue(Thread.interrupted(), "interrupt flag was cleared");
        }

        assertEquals(CancelSignal.Reason.SHUTDOWN, cancel.reason());
        assertEquals(Ending.CANCELLED, running.join().outcome().ending());
    }

    @Test
    void theExecutionsExposeTheirAdmissionAndSessions() {
        assertSame(admission, executions.admission());
        assertSame(sessions, executions.sessions());
    }
}
