package io.isol8.server;

import io.isol8.testing.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.sql.Connection;
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

    @Override
    boolean snakeCase() {
        return true;
    }
}
