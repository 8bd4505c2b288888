package io.isol8.server;

import io.isol8.testing.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;

import io.isol8.testing.Await;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import java.sql.DriverManager;

/** {@link KeyStoreContract} over a real PostgreSQL server started for this class. */
class PostgresKeyStoreTest extends KeyStoreContract {
    static PostgresServer pg;
    private static int databases;
    private String db;

    @BeforeAll
    static void startPostgres() {
        pg = PostgresServer.start("contract");
    }

    @AfterAll
    static void stopPostgres() {
        if (pg != null) {
            pg.close();
        }
    }

    @Override
    String freshDatabase() {
        db = "isol8_contract_" + (++databases);
        return pg.createDatabase(db);
    }

    @Override
    Connection jdbc() throws Exception {
        return DriverManager.getConnection(pg.jdbcUrl(db));
    }

    /** The same table with 0.20's PostgreSQL column names. */
    @Override
    java.util.List<String> legacyDdl() {
        return java.util.List.of("""
                CREATE TABLE IF NOT EXISTS api_keys (
                  id           TEXT PRIMARY KEY,
                  name         TEXT NOT NULL,
                  key_hash     TEXT NOT NULL UNIQUE,
                  key_prefix   TEXT NOT NULL,
                  tenant_id    TEXT NOT NULL,
                  created_at   TEXT NOT NULL,
                  expires_at   TEXT NOT NULL,
                  last_used_at TEXT,
                  revoked      INTEGER NOT NULL DEFAULT 0
                )""", "CREATE INDEX IF NOT EXISTS idx_api_keys_key_hash ON api_keys(key_hash)");
    }

    @Test
    void storeOutageMidRunGives503ForUncachedKeysOnlyAndRecovers() throws Exception {
        String cached = create("cached", "team-a").get("key").asText();
        String cold = create("cold", "team-a").get("key").asText();
        assertEquals(200, call("GET", "/sessions", cached, null).statusCode());
        pg.stop();
        try {
            HttpResponse<String> r = call("GET", "/sessions", cold, null);
            assertEquals(503, r.statusCode(), r.body());
            assertTrue(r.body().startsWith("{\"error\":\"Key store is unavailable"), r.body());
            assertFalse(r.body().contains(cold));
            assertEquals(200, call("POST", "/execute", cached, run("out:still", null)).statusCode(), "a cached key");
            assertEquals(200, call("POST", "/execute", ADMIN, run("out:static", null)).statusCode(), "a configured key");
            assertEquals(200, call("GET", "/sessions", STATIC_USER, null).statusCode());
            HttpResponse<String> ready = call("GET", "/health/ready", null, null);
            assertTrue(ready.body().contains("\"keyStore\":\"unavailable\""), ready.body());
            assertEquals(0, server.app.executions().admission().inUse(), "no permit leaked");
        } finally {
            pg.start();
        }
        Await.until(Duration.ofSeconds(30), "recovery", () -> call("GET", "/sessions", cold, null).statusCode() == 200);
        Await.until(Duration.ofSeconds(15), "health says ok", () ->
                call("GET", "/health/ready", null, null).body().contains("\"keyStore\":\"ok\""));
    }

    @Test
    void storeDownAtStartStillServesConfiguredKeysAndRecovers() throws Exception {
        String cold = create("cold", "team-a").get("key").asText();
        server.close();
        pg.stop();
        try {
            server = start(io.isol8.config.Isol8Config.Quotas.NONE);
            assertEquals(503, call("GET", "/sessions", cold, null).statusCode());
            assertEquals(503, call("POST", "/auth/keys", ADMIN, "{\"name\":\"x\"}").statusCode());
            assertEquals(200, call("GET", "/sessions", ADMIN, null).statusCode());
        } finally {
            pg.start();
        }
        Await.until(Duration.ofSeconds(30), "recovery", () -> call("GET", "/sessions", cold, null).statusCode() == 200);
        assertEquals(201, call("POST", "/auth/keys", ADMIN, "{\"name\":\"x\"}").statusCode());
    }

    @Override
    boolean snakeCase() {
        return true;
    }
}
