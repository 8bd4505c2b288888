package io.isol8.auth;

import java.util.List;

/**
 * The two databases the store speaks. Column names follow isol8 0.20: camelCase in SQLite, snake_case in
 * PostgreSQL. Every migration is idempotent on its own (a 0.20 database already has the first one).
 */
enum Dialect {
    SQLITE("id", "name", "keyHash", "keyPrefix", "tenantId", "createdAt", "expiresAt", "lastUsedAt", "revoked",
            "revokedAt", "tenant_quotas"),
    POSTGRES("id", "name", "key_hash", "key_prefix", "tenant_id", "created_at", "expires_at", "last_used_at",
            "revoked", "revoked_at", "tenant_quotas");

    final String id;
    final String name;
    final String keyHash;
    final String keyPrefix;
    final String tenantId;
    final String createdAt;
    final String expiresAt;
    final String lastUsedAt;
    final String revoked;
    final String revokedAt;
    final String quotasTable;

    Dialect(String id, String name, String keyHash, String keyPrefix, String tenantId, String createdAt,
            String expiresAt, String lastUsedAt, String revoked, String revokedAt, String quotasTable) {
        this.id = id;
        this.name = name;
        this.keyHash = keyHash;
        this.keyPrefix = keyPrefix;
        this.tenantId = tenantId;
        this.createdAt = createdAt;
        this.expiresAt = expiresAt;
        this.lastUsedAt = lastUsedAt;
        this.revoked = revoked;
        this.revokedAt = revokedAt;
        this.quotasTable = quotasTable;
    }

    /** The table of 0.20, as 0.20 created it. */
    String apiKeysTable() {
        return "CREATE TABLE IF NOT EXISTS api_keys ("
                + id + " TEXT PRIMARY KEY, "
                + name + " TEXT NOT NULL, "
                + keyHash + " TEXT NOT NULL UNIQUE, "
                + keyPrefix + " TEXT NOT NULL, "
                + tenantId + " TEXT NOT NULL, "
                + createdAt + " TEXT NOT NULL, "
                + expiresAt + " TEXT NOT NULL, "
                + lastUsedAt + " TEXT, "
                + revoked + " INTEGER NOT NULL DEFAULT 0)";
    }

    String apiKeysIndex() {
        return "CREATE INDEX IF NOT EXISTS idx_api_keys_" + keyHash + " ON api_keys(" + keyHash + ")";
    }

    /** Version 2: when a key was revoked (0.20 only set {@code revoked}); nullable, so 0.20 inserts still work. */
    String addRevokedAt() {
        return this == POSTGRES ? "ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS " + revokedAt + " TEXT"
                : "ALTER TABLE api_keys ADD COLUMN " + revokedAt + " TEXT";
    }

    /** Version 3: per-tenant quotas; a missing row or a NULL column means the configured default. */
    String quotasTableDdl() {
        String t = this == POSTGRES ? "tenant_id" : "tenantId";
        String mc = this == POSTGRES ? "max_concurrent" : "maxConcurrent";
        String ms = this == POSTGRES ? "max_sessions" : "maxSessions";
        String mt = this == POSTGRES ? "max_timeout_ms" : "maxTimeoutMs";
        String rpm = this == POSTGRES ? "requests_per_minute" : "requestsPerMinute";
        String up = this == POSTGRES ? "updated_at" : "updatedAt";
        return "CREATE TABLE IF NOT EXISTS " + quotasTable + " (" + t + " TEXT PRIMARY KEY, " + mc + " INTEGER, "
                + ms + " INTEGER, " + mt + " BIGINT, " + rpm + " INTEGER, " + up + " TEXT NOT NULL)";
    }

    List<String> quotaColumns() {
        return this == POSTGRES
                ? List.of("tenant_id", "max_concurrent", "max_sessions", "max_timeout_ms", "requests_per_minute", "updated_at")
                : List.of("tenantId", "maxConcurrent", "maxSessions", "maxTimeoutMs", "requestsPerMinute", "updatedAt");
    }

    String schemaTable() {
        return "CREATE TABLE IF NOT EXISTS isol8_schema (version INTEGER PRIMARY KEY, "
                + (this == POSTGRES ? "applied_at" : "appliedAt") + " TEXT NOT NULL)";
    }

    String schemaInsert() {
        return "INSERT INTO isol8_schema (version, " + (this == POSTGRES ? "applied_at" : "appliedAt") + ") VALUES (?, ?)";
    }
}
