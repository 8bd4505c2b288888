package io.isol8.auth;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.isol8.config.Isol8Config;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * API keys and tenant quotas in SQLite or PostgreSQL (HikariCP pool). Opening never fails because the
 * database is down: the schema is brought up to date on the first call that reaches it. Every call blocks
 * for at most a few seconds and throws {@link StoreUnavailableException} when the database does not answer.
 * Thread-safe.
 */
public final class KeyStore implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KeyStore.class.getName());
    /**
     * The drivers' own debug output shows statement parameters (key hashes): pinned to INFO, whatever the global
     * level. Strong references: JUL forgets the level of a logger nobody holds.
     */
    private static final List<Logger> QUIET = List.of("org.postgresql", "org.sqlite", "com.zaxxer.hikari").stream()
            .map(name -> {
                Logger l = Logger.getLogger(name);
                l.setLevel(java.util.logging.Level.INFO);
                return l;
            }).toList();
    /** The schema version this build writes; versions are recorded in {@code isol8_schema}. */
    static final int VERSION = 3;

    private final HikariDataSource pool;
    private final Dialect dialect;
    private final Clock clock;
    private final String description;
    private volatile boolean migrated;

    private KeyStore(HikariDataSource pool, Dialect dialect, Clock clock, String description) {
        this.pool = pool;
        this.dialect = dialect;
        this.clock = clock;
        this.description = description;
    }

    /**
     * Opens the store at {@code url} ({@code sqlite:PATH}, a path, {@code postgres://user:pw@host:port/db}).
     *
     * @throws IllegalArgumentException the connection string is not usable (the message names no password)
     */
    public static KeyStore open(String url, Clock clock) {
        io.isol8.config.StoreUrl.problem(url).ifPresent(p -> {
            throw new IllegalArgumentException("auth database: " + p);
        });
        HikariConfig hc = new HikariConfig();
        hc.setPoolName("isol8-keystore");
        hc.setInitializationFailTimeout(-1);
        hc.setConnectionTimeout(2_000);
        hc.setValidationTimeout(1_000);
        String lower = url.toLowerCase(Locale.ROOT);
        Dialect dialect;
        String description;
        if (lower.startsWith("postgres://") || lower.startsWith("postgresql://")) {
            dialect = Dialect.POSTGRES;
            URI uri = URI.create(url);
            String host = uri.getHost() == null ? "localhost" : uri.getHost();
            int port = uri.getPort() < 0 ? 5432 : uri.getPort();
            String db = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
            hc.setJdbcUrl("jdbc:postgresql://" + host + ":" + port + "/" + db
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
            if (uri.getRawUserInfo() != null) {
                String[] userInfo = uri.getRawUserInfo().split(":", 2);
                hc.setUsername(URLDecoder.decode(userInfo[0], StandardCharsets.UTF_8));
                if (userInfo.length > 1) {
                    hc.setPassword(URLDecoder.decode(userInfo[1], StandardCharsets.UTF_8));
                }
            }
            hc.addDataSourceProperty("connectTimeout", "2");
            hc.addDataSourceProperty("loginTimeout", "2");
            hc.addDataSourceProperty("socketTimeout", "5");
            hc.addDataSourceProperty("ApplicationName", "isol8");
            hc.setMaximumPoolSize(16);
            hc.setMinimumIdle(1);
            hc.setConnectionTimeout(5_000);
            description = "postgresql://" + host + ":" + port + "/" + db;
        } else {
            dialect = Dialect.SQLITE;
            String file = lower.startsWith("sqlite:") ? url.substring("sqlite:".length()) : url;
            if (file.startsWith("~/")) {
                file = System.getProperty("user.home") + file.substring(1);
            }
            Path path = Path.of(file).toAbsolutePath();
            try {
                java.nio.file.Files.createDirectories(path.getParent());
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("auth database: cannot create the folder of " + path + ": " + e.getMessage());
            }
            hc.setJdbcUrl("jdbc:sqlite:" + path);
            hc.addDataSourceProperty("journal_mode", "WAL");
            hc.addDataSourceProperty("busy_timeout", "5000");
            // one connection: writes of this process are serialised here, never by SQLITE_BUSY
            hc.setMaximumPoolSize(1);
            hc.setConnectionTimeout(10_000);
            description = "sqlite:" + path;
        }
        KeyStore store = new KeyStore(new HikariDataSource(hc), dialect, clock, description);
        try {
            store.migrate();
        } catch (StoreUnavailableException e) {
            LOG.warning("key store " + description + " is not reachable yet (" + e.getMessage() + "); retrying on use");
        }
        return store;
    }

    /** {@code sqlite:/path} or {@code postgresql://host:port/db}, without user or password. */
    public String description() {
        return description;
    }

    /** Whether the database answers a trivial query now. */
    public boolean ping() {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.setQueryTimeout(2);
            s.execute("SELECT 1");
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    // ---- schema ----------------------------------------------------------------------------------

    private void migrate() {
        if (migrated) {
            return;
        }
        synchronized (this) {
            if (migrated) {
                return;
            }
            run(c -> {
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    if (dialect == Dialect.POSTGRES) {
                        // two servers starting together migrate one after the other
                        s.execute("SELECT pg_advisory_xact_lock(8028001)");
                    }
                    s.execute(dialect.schemaTable());
                    int have = 0;
                    try (ResultSet r = s.executeQuery("SELECT COALESCE(MAX(version), 0) FROM isol8_schema")) {
                        if (r.next()) {
                            have = r.getInt(1);
                        }
                    }
                    for (int v = have + 1; v <= VERSION; v++) {
                        apply(c, s, v);
                        try (PreparedStatement p = c.prepareStatement(dialect.schemaInsert())) {
                            p.setInt(1, v);
                            p.setString(2, KeyFormat.timestamp(clock.instant()));
                            p.executeUpdate();
                        }
                    }
                    c.commit();
                    if (have < VERSION) {
                        LOG.info("key store " + description + ": schema version " + have + " -> " + VERSION);
                    }
                } catch (SQLException | RuntimeException e) {
                    c.rollback();
                    throw e;
                } finally {
                    c.setAutoCommit(true);
                }
                return null;
            });
            migrated = true;
        }
    }

    private void apply(Connection c, Statement s, int version) throws SQLException {
        switch (version) {
            case 1 -> {
                s.execute(dialect.apiKeysTable());
                s.execute(dialect.apiKeysIndex());
            }
            case 2 -> {
                if (!hasColumn(c, "api_keys", dialect.revokedAt)) {
                    s.execute(dialect.addRevokedAt());
                }
            }
            case 3 -> s.execute(dialect.quotasTableDdl());
            default -> throw new IllegalStateException("no migration " + version);
        }
    }

    private boolean hasColumn(Connection c, String table, String column) throws SQLException {
        if (dialect == Dialect.SQLITE) {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA table_info(" + table + ")")) {
                while (r.next()) {
                    if (column.equalsIgnoreCase(r.getString("name"))) {
                        return true;
                    }
                }
                return false;
            }
        }
        try (ResultSet r = c.getMetaData().getColumns(null, null, table, column)) {
            return r.next();
        }
    }

    // ---- keys ------------------------------------------------------------------------------------

    /** Creates a key for {@code tenantId} that expires {@code ttlMs} from now. */
    public CreatedKey create(String name, String tenantId, long ttlMs) {
        Instant now = clock.instant();
        return insert(name, tenantId, now, now.plusMillis(ttlMs));
    }

    private CreatedKey insert(String name, String tenantId, Instant now, Instant expiresAt) {
        migrate();
        String key = KeyFormat.generate();
        StoredKey stored = new StoredKey(UUID.randomUUID().toString(), name, KeyFormat.prefix(key), tenantId,
                truncate(now), truncate(expiresAt), Optional.empty(), false, Optional.empty());
        Dialect d = dialect;
        run(c -> {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO api_keys (" + d.id + ", " + d.name + ", "
                    + d.keyHash + ", " + d.keyPrefix + ", " + d.tenantId + ", " + d.createdAt + ", " + d.expiresAt
                    + ", " + d.revoked + ") VALUES (?, ?, ?, ?, ?, ?, ?, 0)")) {
                p.setString(1, stored.id());
                p.setString(2, name);
                p.setString(3, KeyFormat.hash(key));
                p.setString(4, stored.keyPrefix());
                p.setString(5, tenantId);
                p.setString(6, KeyFormat.timestamp(stored.createdAt()));
                p.setString(7, KeyFormat.timestamp(stored.expiresAt()));
                p.executeUpdate();
            }
            return null;
        });
        return new CreatedKey(stored, key);
    }

    /** The row whose {@code keyHash} is {@code hashHex}, usable or not. */
    public Optional<StoredKey> byHash(String hashHex) {
        return one(dialect.keyHash, hashHex);
    }

    public Optional<StoredKey> byId(String id) {
        return one(dialect.id, id);
    }

    private Optional<StoredKey> one(String column, String value) {
        migrate();
        return run(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM api_keys WHERE " + column + " = ?")) {
                p.setString(1, value);
                try (ResultSet r = p.executeQuery()) {
                    return r.next() ? Optional.of(row(r)) : Optional.<StoredKey>empty();
                }
            }
        });
    }

    /** Every key (of {@code tenantId}), newest first. */
    public List<StoredKey> list(Optional<String> tenantId) {
        migrate();
        return run(c -> {
            String sql = "SELECT * FROM api_keys" + (tenantId.isPresent() ? " WHERE " + dialect.tenantId + " = ?" : "")
                    + " ORDER BY " + dialect.createdAt + " DESC, " + dialect.id;
            try (PreparedStatement p = c.prepareStatement(sql)) {
                if (tenantId.isPresent()) {
                    p.setString(1, tenantId.get());
                }
                List<StoredKey> keys = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        keys.add(row(r));
                    }
                }
                return keys;
            }
        });
    }

    /**
     * Revokes the key: {@code revoked = 1} (what 0.20 reads) and {@code revokedAt}; the row stays. Revoking a
     * revoked key changes nothing.
     *
     * @return the key as it is now, or empty for an unknown id
     */
    public Optional<StoredKey> revoke(String id) {
        migrate();
        run(c -> {
            try (PreparedStatement p = c.prepareStatement("UPDATE api_keys SET " + dialect.revoked + " = 1, "
                    + dialect.revokedAt + " = COALESCE(" + dialect.revokedAt + ", ?) WHERE " + dialect.id + " = ?")) {
                p.setString(1, KeyFormat.timestamp(clock.instant()));
                p.setString(2, id);
                return p.executeUpdate();
            }
        });
        return byId(id);
    }

    /**
     * A new key with the old one's name and tenant and lifetime; the old key keeps working for {@code graceMs}
     * (never longer than it would have anyway).
     *
     * @return empty when the id is unknown or the key no longer works
     */
    public Optional<Rotated> rotate(String id, long graceMs) {
        Optional<StoredKey> old = byId(id);
        Instant now = clock.instant();
        if (old.isEmpty() || !old.get().usableAt(now)) {
            return Optional.empty();
        }
        StoredKey o = old.get();
        long lifetime = Math.max(60_000, o.expiresAt().toEpochMilli() - o.createdAt().toEpochMilli());
        CreatedKey fresh = insert(o.name(), o.tenantId(), now, now.plusMillis(lifetime));
        Instant graceEnd = truncate(now.plusMillis(graceMs));
        if (graceEnd.isBefore(o.expiresAt())) {
            run(c -> {
                try (PreparedStatement p = c.prepareStatement("UPDATE api_keys SET " + dialect.expiresAt + " = ? WHERE "
                        + dialect.id + " = ?")) {
                    p.setString(1, KeyFormat.timestamp(graceEnd));
                    p.setString(2, id);
                    return p.executeUpdate();
                }
            });
        }
        return Optional.of(new Rotated(fresh, byId(id).orElse(o)));
    }

    /** The outcome of {@link #rotate}: the new key and the old row with its shortened expiry. */
    public record Rotated(CreatedKey fresh, StoredKey old) {
    }

    /** Writes {@code lastUsedAt} of many keys in one transaction. */
    public void touch(Map<String, Instant> lastUsed) {
        if (lastUsed.isEmpty()) {
            return;
        }
        migrate();
        run(c -> {
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("UPDATE api_keys SET " + dialect.lastUsedAt + " = ? WHERE "
                    + dialect.id + " = ?")) {
                for (Map.Entry<String, Instant> e : lastUsed.entrySet()) {
                    p.setString(1, KeyFormat.timestamp(e.getValue()));
                    p.setString(2, e.getKey());
                    p.addBatch();
                }
                p.executeBatch();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
            return null;
        });
    }

    /** Deletes keys that expired or were revoked before {@code before}; returns how many. */
    public int purge(Instant before) {
        migrate();
        String t = KeyFormat.timestamp(before);
        return run(c -> {
            try (PreparedStatement p = c.prepareStatement("DELETE FROM api_keys WHERE " + dialect.expiresAt + " < ? OR ("
                    + dialect.revoked + " = 1 AND " + dialect.revokedAt + " IS NOT NULL AND " + dialect.revokedAt + " < ?)")) {
                p.setString(1, t);
                p.setString(2, t);
                return p.executeUpdate();
            }
        });
    }

    // ---- quotas ----------------------------------------------------------------------------------

    /** The tenant's own quotas; a field it does not set is {@code -1}. */
    public Optional<Isol8Config.Quotas> quotas(String tenantId) {
        migrate();
        List<String> col = dialect.quotaColumns();
        return run(c -> {
            try (PreparedStatement p = c.prepareStatement("SELECT * FROM " + dialect.quotasTable + " WHERE " + col.get(0) + " = ?")) {
                p.setString(1, tenantId);
                try (ResultSet r = p.executeQuery()) {
                    if (!r.next()) {
                        return Optional.<Isol8Config.Quotas>empty();
                    }
                    return Optional.of(new Isol8Config.Quotas((int) orUnset(r, col.get(1)), (int) orUnset(r, col.get(2)),
                            orUnset(r, col.get(3)), (int) orUnset(r, col.get(4))));
                }
            }
        });
    }

    private static long orUnset(ResultSet r, String column) throws SQLException {
        long v = r.getLong(column);
        return r.wasNull() ? -1 : v;
    }

    /** Replaces the tenant's own quotas; {@code -1} in a field means "the configured default". */
    public void putQuotas(String tenantId, Isol8Config.Quotas q) {
        migrate();
        List<String> col = dialect.quotaColumns();
        run(c -> {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement d = c.prepareStatement("DELETE FROM " + dialect.quotasTable + " WHERE " + col.get(0) + " = ?")) {
                    d.setString(1, tenantId);
                    d.executeUpdate();
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO " + dialect.quotasTable + " ("
                        + String.join(", ", col) + ") VALUES (?, ?, ?, ?, ?, ?)")) {
                    p.setString(1, tenantId);
                    setOrNull(p, 2, q.maxConcurrent());
                    setOrNull(p, 3, q.maxSessions());
                    setOrNull(p, 4, q.maxTimeoutMs());
                    setOrNull(p, 5, q.requestsPerMinute());
                    p.setString(6, KeyFormat.timestamp(clock.instant()));
                    p.executeUpdate();
                }
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
            return null;
        });
    }

    private static void setOrNull(PreparedStatement p, int i, long v) throws SQLException {
        if (v < 0) {
            p.setNull(i, Types.BIGINT);
        } else {
            p.setLong(i, v);
        }
    }

    // ---- plumbing --------------------------------------------------------------------------------

    private StoredKey row(ResultSet r) throws SQLException {
        Dialect d = dialect;
        String revokedAt = r.getString(d.revokedAt);
        String lastUsed = r.getString(d.lastUsedAt);
        Object revoked = r.getObject(d.revoked);
        boolean isRevoked = revoked instanceof Boolean b ? b : revoked instanceof Number n && n.intValue() != 0;
        return new StoredKey(r.getString(d.id), r.getString(d.name), r.getString(d.keyPrefix), r.getString(d.tenantId),
                instant(r, d.createdAt).orElse(Instant.EPOCH), instant(r, d.expiresAt).orElse(Instant.EPOCH),
                lastUsed == null ? Optional.empty() : instant(r, d.lastUsedAt), isRevoked,
                revokedAt == null ? Optional.empty() : instant(r, d.revokedAt));
    }

    /**
     * A timestamp column: text as 0.20 writes it ({@code 2026-11-26T02:21:27.720Z}), or a SQL timestamp type. An
     * unreadable value reads as the epoch (an expiry in the past), never as an error.
     */
    private static Optional<Instant> instant(ResultSet r, String column) throws SQLException {
        Object v = r.getObject(column);
        try {
            return Optional.ofNullable(switch (v) {
                case null -> null;
                case java.sql.Timestamp t -> t.toInstant();
                case java.time.OffsetDateTime t -> t.toInstant();
                case Number n -> Instant.ofEpochMilli(n.longValue());
                default -> KeyFormat.parse(v.toString().strip());
            });
        } catch (java.time.DateTimeException e) {
            return Optional.of(Instant.EPOCH);
        }
    }

    private static Instant truncate(Instant t) {
        return Instant.ofEpochMilli(t.toEpochMilli());
    }

    private interface Work<T> {
        T on(Connection c) throws SQLException;
    }

    private <T> T run(Work<T> work) {
        try (Connection c = pool.getConnection()) {
            return work.on(c);
        } catch (java.sql.SQLTransientConnectionException e) {
            // HikariCP: no connection within connectionTimeout; without a cause the database answered, the pool
            // was only busy
            throw new StoreUnavailableException(reason(e), e, e.getCause() == null && pool.getHikariPoolMXBean() != null
                    && pool.getHikariPoolMXBean().getTotalConnections() > 0);
        } catch (SQLException e) {
            throw new StoreUnavailableException(reason(e), e);
        }
    }

    private static String reason(SQLException e) {
        String state = e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")";
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return (nl > 0 ? m.substring(0, nl) : m) + state;
    }

    @Override
    public void close() {
        pool.close();
    }
}
