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

    @Override
    boolean snakeCase() {
        return false;
    }
}
