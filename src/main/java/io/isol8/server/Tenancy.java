package io.isol8.server;

import io.isol8.auth.KeyStore;
import io.isol8.config.Isol8Config;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Who may call and on whose behalf: the configured keys, the key store (with its cache), per-tenant quotas
 * and the audit log. Built once by the composition root; {@link #close()} flushes and closes what it owns.
 */
public final class Tenancy implements AutoCloseable {
    final ApiKeys keys;
    final Optional<DbKeys> stored;
    final Tenants tenants;
    final Audit audit;

    /**
     * @param keys  the configured keys
     * @param store the key store, if {@code auth.database} or {@code --auth-db} names one; owned from now on
     */
    public Tenancy(Isol8Config config, List<StaticKey> keys, Optional<KeyStore> store, Metrics metrics) {
        this(config, keys, store, metrics, Clock.systemUTC(), 5_000);
    }

    Tenancy(Isol8Config config, List<StaticKey> keys, Optional<KeyStore> store, Metrics metrics, Clock clock,
            long flushEveryMs) {
        this.keys = new ApiKeys(keys);
        this.stored = store.map(s -> new DbKeys(s, clock, flushEveryMs, metrics, config.auth().purgeAfterMs()));
        this.tenants = new Tenants(config.quotas(), stored, System::nanoTime);
        this.audit = new Audit(config.audit(), clock, metrics);
    }

    /** Sessions {@code tenant} may have at once (0 = no quota). */
    public int sessionQuota(String tenant) {
        return tenants.sessionQuota(tenant);
    }

    @Override
    public void close() {
        audit.close();
        stored.ifPresent(DbKeys::close);
    }
}
