package io.isol8.engine;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Background calls for concurrency tests: start one, wait until it blocks, collect its result. */
final class Threads {
    private static final long DEADLINE_MS = 10_000;

    private Threads() {
    }

    /** A call running on its own thread. */
    static final class Background<T> {
        final Thread thread;
        private final FutureTask<T> task;

        private Background(Callable<T> call) {
            task = new FutureTask<>(call);
            thread = Thread.ofPlatform().daemon().start(task);
        }

        /** Waits until the thread parks (on a lock, a semaphore or a latch). */
        Background<T> awaitParked() {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS);
            while (true) {
                Thread.State s = thread.getState();
                if (s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) {
                    return this;
                }
                if (task.isDone()) {
                    throw new AssertionError("the call ended instead of blocking: " + describe());
                }
                if (System.nanoTime() > end) {
                    throw new AssertionError("the call did not block within " + DEADLINE_MS + " ms");
                }
                Thread.onSpinWait();
            }
        }

        boolean isDone() {
            return task.isDone();
        }

        /** The call's result; rethrows what it threw. */
        T join() throws Throwable {
            try {
                return task.get(DEADLINE_MS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw e.getCause();
            } catch (TimeoutException e) {
                throw new AssertionError("the call did not end within " + DEADLINE_MS + " ms");
            }
        }

        /** What the call threw, failing if it returned normally. */
        Throwable failure() {
            try {
                T value = join();
                throw new AssertionError("expected a failure, got " + value);
            } catch (AssertionError e) {
                throw e;
            } catch (Throwable t) {
                return t;
            }
        }

        private String describe() {
            try {
                return String.valueOf(task.get());
            } catch (Exception e) {
                return e.toString();
            }
        }
    }

    static <T> Background<T> start(Callable<T> call) {
        return new Background<>(call);
    }

    /** Spins until {@link System#currentTimeMillis()} has moved past {@code millis}. */
    static void clockPast(long millis) {
        while (System.currentTimeMillis() <= millis) {
            Thread.onSpinWait();
        }
    }
}
