package io.isol8.server;

import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;

/** {@link KeyStoreContract} over a SQLite file. */
class SqliteKeyStoreTest extends KeyStoreContract {
    @TempDir
    Path dir;
    private Path file;

    @Override
    String freshDatabase() {
        file = dir.resolve("auth-" + System.nanoTime() + ".db");
        return "sqlite:" + file;
    }

    @Override
    Connection jdbc() throws Exception {
        return DriverManager.getConnection("jdbc:sqlite:" + file);
    }

    /** As isol8 0.20 (packages/server/src/db) creates it. */
    @Override
    java.util.List<String> legacyDdl() {
        return java.util.List.of("""
                CREATE TABLE IF NOT EXISTS api_keys (
                  id          TEXT PRIMARY KEY,
                  name        TEXT NOT NULL,
                  keyHash     TEXT NOT NULL UNIQUE,
                  keyPrefix   TEXT NOT NULL,
                  tenantId    TEXT NOT NULL,
                  createdAt   TEXT NOT NULL,
                  expiresAt   TEXT NOT NULL,
                  lastUsedAt  TEXT,
                  revoked     INTEGER NOT NULL DEFAULT 0
                )""", "CREATE INDEX IF NOT EXISTS idx_api_keys_keyHash ON api_keys(keyHash)");
    }

    @Override
    boolean snakeCase() {
        return false;
    }
}
