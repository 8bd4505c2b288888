package io.isol8.server;

import io.isol8.auth.StoreUnavailableException;
import io.isol8.config.Isol8Config.Quotas;
import io.isol8.core.Isol8Exception;
import io.isol8.engine.RunOutcome;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Per-tenant quotas and usage (in memory, since start): the effective quotas (the tenant's own values from
 * the key store over {@code quotas.*}, cached 5 s), the request rate, executions running at once, and what the
 * tenant has used. Every slot taken is given back by {@link Slot#close()}. Thread-safe.
 */
final class Tenants {
    private static final long QUOTA_CACHE_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long MINUTE_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Quotas defaults;
    private final Optional<DbKeys> stored;
    private final LongSupplier nanos;
    private final Map<String, Tenant> byId = new ConcurrentHashMap<>();

    /** A refused request: message and {@code Retry-After} seconds. */
    record Refusal(String message, long retryAfterSeconds) {
    }

    /** What a tenant used since this server started, and uses now. */
    record Usage(long executions, long cpuMs, int running, long requests, long rejected) {
    }

    private static final class Tenant {
        final AtomicInteger running = new AtomicInteger();
        final AtomicLong executions = new AtomicLong();
        final AtomicLong cpuMs = new AtomicLong();
        final AtomicLong requests = new AtomicLong();
        final AtomicLong rejected = new AtomicLong();
        long windowStart;
        long current;
        long previous;
        volatile Quotas own;
        volatile long ownFetched = Long.MIN_VALUE / 2;
    }

    Tenants(Quotas defaults, Optional<DbKeys> stored, LongSupplier nanos) {
        this.defaults = defaults;
        this.stored = stored;
        this.nanos = nanos;
    }

    private Tenant tenant(String id) {
        return byId.computeIfAbsent(id, k -> {
            Tenant t = new Tenant();
            t.windowStart = nanos.getAsLong();
            return t;
        });
    }

    /** The quotas in force for {@code tenant} (0 = none). */
    Quotas quotas(String tenant) {
        Tenant t = tenant(tenant);
        long now = nanos.getAsLong();
        if (stored.isPresent() && now - t.ownFetched > QUOTA_CACHE_NANOS && stored.get().up()) {
            try {
                t.own = stored.get().store().quotas(tenant).orElse(null);
                t.ownFetched = now;
            } catch (StoreUnavailableException e) {
                t.ownFetched = now - QUOTA_CACHE_NANOS + TimeUnit.SECONDS.toNanos(1); // retry in a second
            }
        }
        Quotas own = t.own;
        if (own == null) {
            return defaults;
        }
        return new Quotas(own.maxConcurrent() >= 0 ? own.maxConcurrent() : defaults.maxConcurrent(),
                own.maxSessions() >= 0 ? own.maxSessions() : defaults.maxSessions(),
                own.maxTimeoutMs() >= 0 ? own.maxTimeoutMs() : defaults.maxTimeoutMs(),
                own.requestsPerMinute() >= 0 ? own.requestsPerMinute() : defaults.requestsPerMinute());
    }

    /** Forgets the cached quotas of {@code tenant} (they were just changed here). */
    void quotasChanged(String tenant) {
        tenant(tenant).ownFetched = Long.MIN_VALUE / 2;
    }

    /**
     * Counts one request against {@code requestsPerMinute} (a sliding minute, estimated from this minute's and
     * the previous minute's counts).
     */
    Optional<Refusal> admitRequest(String tenant) {
        Tenant t = tenant(tenant);
        t.requests.incrementAndGet();
        int limit = quotas(tenant).requestsPerMinute();
        if (limit <= 0) {
            return Optional.empty();
        }
        long now = nanos.getAsLong();
        synchronized (t) {
            long elapsed = now - t.windowStart;
            if (elapsed >= MINUTE_NANOS) {
                long windows = elapsed / MINUTE_NANOS;
                t.previous = windows == 1 ? t.current : 0;
                t.current = 0;
                t.windowStart += windows * MINUTE_NANOS;
                elapsed = now - t.windowStart;
            }
            double weight = 1.0 - (double) elapsed / MINUTE_NANOS;
            double estimate = t.previous * weight + t.current;
            if (estimate + 1 > limit) {
                t.rejected.incrementAndGet();
                // the estimate drops at the latest when this minute's window closes
                long retry = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(MINUTE_NANOS - elapsed) + 1);
                return Optional.of(new Refusal("Tenant \"" + tenant + "\" is over its request quota (requestsPerMinute = "
                        + limit + ")", Math.min(60, retry)));
            }
            t.current++;
        }
        return Optional.empty();
    }

    /** A running execution of a tenant; {@link #close()} gives the slot back (idempotent). */
    final class Slot implements AutoCloseable {
        private final Tenant tenant;
        private boolean closed;

        private Slot(Tenant tenant) {
            this.tenant = tenant;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                tenant.running.decrementAndGet();
            }
        }
    }

    /**
     * Takes one of the tenant's execution slots and checks {@code timeoutMs} against its ceiling.
     *
     * @throws Isol8Exception.BadRequest over the tenant's {@code maxTimeoutMs}
     * @throws Isol8Exception.Busy       the tenant runs {@code maxConcurrent} executions already
     */
    Slot execution(String tenant, long timeoutMs) {
        Quotas q = quotas(tenant);
        Tenant t = tenant(tenant);
        if (q.maxTimeoutMs() > 0 && timeoutMs > q.maxTimeoutMs()) {
            throw new Isol8Exception.BadRequest("timeoutMs " + timeoutMs + " exceeds the quota of tenant \"" + tenant
                    + "\" (maxTimeoutMs = " + q.maxTimeoutMs() + ")");
        }
        int running = t.running.incrementAndGet();
        if (q.maxConcurrent() > 0 && running > q.maxConcurrent()) {
            t.running.decrementAndGet();
            t.rejected.incrementAndGet();
            throw new Isol8Exception.Busy("Tenant \"" + tenant + "\" is over its execution quota (maxConcurrent = "
                    + q.maxConcurrent() + ")");
        }
        return new Slot(t);
    }

    /** The session quota of {@code tenant} (0 = none). */
    int sessionQuota(String tenant) {
        return quotas(tenant).maxSessions();
    }

    /** Records a finished execution of {@code tenant}. */
    void finished(String tenant, RunOutcome outcome) {
        Tenant t = tenant(tenant);
        t.executions.incrementAndGet();
        outcome.resourceUsage().ifPresent(u -> t.cpuMs.addAndGet(u.cpuMs()));
    }

    Usage usage(String tenant) {
        Tenant t = tenant(tenant);
        return new Usage(t.executions.get(), t.cpuMs.get(), t.running.get(), t.requests.get(), t.rejected.get());
    }
}
