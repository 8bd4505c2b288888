package io.isol8.server;

import io.isol8.auth.KeyFormat;
import io.isol8.auth.KeyStore;
import io.isol8.auth.StoreUnavailableException;
import io.isol8.auth.StoredKey;
import io.isol8.core.Isol8Exception;

import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Stored keys as the request path sees them: a bounded cache in front of the {@link KeyStore} (found keys
 * for 5 s, unknown ones for 1 s), {@code lastUsedAt} written in batches by a background thread, and the
 * store's health. While the store is down, keys seen in the last 10 minutes keep working; others get 503.
 */
final class DbKeys implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DbKeys.class.getName());
    static final long POSITIVE_NANOS = TimeUnit.SECONDS.toNanos(5);
    static final long NEGATIVE_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final long STALE_NANOS = TimeUnit.MINUTES.toNanos(10);
    static final int MAX_ENTRIES = 10_000;
    private static final int MAX_PENDING_TOUCHES = 100_000;

    private record Entry(Optional<StoredKey> key, long fetchedNanos) {
    }

    private final KeyStore store;
    private final Clock clock;
    private final Map<String, Entry> cache = new ConcurrentHashMap<>();
    private final Map<String, Instant> lastUsed = new ConcurrentHashMap<>();
    private final ScheduledExecutorService flusher;
    private static final long RETRY_WHILE_DOWN_NANOS = TimeUnit.SECONDS.toNanos(1);
    private volatile boolean up = true;
    private volatile long lastAttempt;
    private volatile String downReason = "";

    private final Metrics metrics;
    private final long purgeAfterMs;
    private long lastPurge = System.nanoTime() - TimeUnit.HOURS.toNanos(1);

    /**
     * @param purgeAfterMs {@code auth.purgeAfterMs}: expired or revoked rows are deleted this long after they
     *                     stopped working (checked hourly); 0 keeps them
     */
    DbKeys(KeyStore store, Clock clock, long flushEveryMs, Metrics metrics, long purgeAfterMs) {
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
        this.purgeAfterMs = purgeAfterMs;
        this.flusher = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("isol8-keystore").factory());
        flusher.scheduleWithFixedDelay(this::background, flushEveryMs, flushEveryMs, TimeUnit.MILLISECONDS);
    }

    KeyStore store() {
        return store;
    }

    /**
     * The usable stored key {@code token} names, if any.
     *
     * @throws Isol8Exception.Unavailable the store is down and the key was not seen recently
     */
    Optional<StoredKey> lookup(String token) {
        if (!KeyFormat.looksLikeStoreKey(token)) {
            return Optional.empty();
        }
        String hash = KeyFormat.hash(token);
        long now = System.nanoTime();
        Entry e = cache.get(hash);
        Optional<StoredKey> key;
        if (e != null && now - e.fetchedNanos() < (e.key().isPresent() ? POSITIVE_NANOS : NEGATIVE_NANOS)) {
            key = e.key();
            metrics.keyCheck("cached");
        } else if (!up && now - lastAttempt < RETRY_WHILE_DOWN_NANOS) {
            // down: answer at once instead of waiting for the pool's timeout on every request; one request a
            // second (and the background ping) tries again
            if (e != null && e.key().isPresent() && now - e.fetchedNanos() < STALE_NANOS) {
                key = e.key();
            } else {
                metrics.keyCheck("unavailable");
                throw unavailable();
            }
        } else {
            lastAttempt = now;
            try {
                key = store.byHash(hash);
                metrics.keyCheck("fetched");
                healthy();
                remember(hash, new Entry(key, now));
            } catch (StoreUnavailableException ex) {
                down(ex);
                metrics.keyCheck("unavailable");
                if (e != null && e.key().isPresent() && now - e.fetchedNanos() < STALE_NANOS) {
                    key = e.key();
                } else {
                    throw unavailable();
                }
            }
        }
        Instant at = clock.instant();
        Optional<StoredKey> usable = key.filter(k -> k.usableAt(at));
        usable.ifPresent(k -> {
            if (lastUsed.size() < MAX_PENDING_TOUCHES) {
                lastUsed.put(k.id(), at);
            }
        });
        return usable;
    }

    private void remember(String hash, Entry entry) {
        if (cache.size() >= MAX_ENTRIES) {
            long now = System.nanoTime();
            cache.values().removeIf(x -> now - x.fetchedNanos() > POSITIVE_NANOS);
            if (cache.size() >= MAX_ENTRIES) {
                cache.clear();
            }
        }
        cache.put(hash, entry);
    }

    /** Forgets every cached entry of key {@code id} (revoked, rotated): the next request asks the store. */
    void invalidate(String id) {
        cache.values().removeIf(e -> e.key().map(k -> k.id().equals(id)).orElse(false));
    }

    Isol8Exception.Unavailable unavailable() {
        return new Isol8Exception.Unavailable("Key store is unavailable (" + store.description() + "): " + downReason
                + ". Keys from the configuration still work.");
    }

    /** The result of a store call made on behalf of a request: records the store's health. */
    <T> T call(java.util.function.Supplier<T> work) {
        try {
            T result = work.get();
            healthy();
            return result;
        } catch (StoreUnavailableException e) {
            down(e);
            throw unavailable();
        }
    }

    private void healthy() {
        if (!up) {
            LOG.info("key store " + store.description() + " answers again");
        }
        up = true;
    }

    private void down(StoreUnavailableException e) {
        if (e.busy()) {
            downReason = e.getMessage();
            return; // the database answers; requests just waited too long for a connection
        }
        if (up) {
            LOG.warning("key store " + store.description() + " is unavailable: " + e.getMessage());
        }
        downReason = e.getMessage();
        up = false;
    }

    boolean up() {
        return up;
    }

    String downReason() {
        return downReason;
    }

    private void background() {
        try {
            flush();
            if (purgeAfterMs > 0 && System.nanoTime() - lastPurge >= TimeUnit.HOURS.toNanos(1)) {
                lastPurge = System.nanoTime();
                int n = store.purge(clock.instant().minusMillis(purgeAfterMs));
                if (n > 0) {
                    LOG.info("key store: purged " + n + " expired or revoked key(s)");
                }
            }
            if (!up) {
                if (store.ping()) {
                    healthy();
                }
            }
        } catch (RuntimeException e) {
            LOG.fine("key store background work failed: " + e.getMessage());
        }
    }

    /** Writes the pending {@code lastUsedAt} values; on failure they are kept for the next round. */
    void flush() {
        if (lastUsed.isEmpty()) {
            return;
        }
        Map<String, Instant> batch = new HashMap<>();
        for (String id : Map.copyOf(lastUsed).keySet()) {
            Instant t = lastUsed.remove(id);
            if (t != null) {
                batch.put(id, t);
            }
        }
        try {
            store.touch(batch);
            healthy();
        } catch (StoreUnavailableException e) {
            down(e);
            batch.forEach(lastUsed::putIfAbsent);
        }
    }

    @Override
    public void close() {
        flusher.shutdownNow();
        try {
            flush();
        } catch (RuntimeException e) {
            // best effort at shutdown
        }
        store.close();
    }
}
