package io.isol8.engine;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** The cancel signals of the executions that run now, so shutdown can wait for them and then stop them. */
final class RunningSet {
    private final Set<CancelSignal> running = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition emptied = lock.newCondition();

    void add(CancelSignal signal) {
        running.add(signal);
    }

    void remove(CancelSignal signal) {
        running.remove(signal);
        lock.lock();
        try {
            emptied.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until nothing runs or {@code timeoutMs} passed. */
    void awaitEmpty(long timeoutMs) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        lock.lock();
        try {
            long left = end - System.nanoTime();
            while (!running.isEmpty() && left > 0) {
                left = emptied.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    void cancelAll(CancelSignal.Reason why) {
        running.forEach(c -> c.cancel(why));
    }
}
