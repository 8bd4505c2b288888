package io.isol8.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real PostgreSQL server (Debian's, environment.md §10) for one test class: {@code initdb} into a fresh
 * temporary folder and {@code pg_ctl start} on 127.0.0.1 and a free port, as the unprivileged {@code postgres}
 * user when the tests run as root (the server refuses root). Trust authentication, user {@code isol8}, no
 * network beyond loopback. {@link #stop()} / {@link #start()} simulate an outage; {@link #close()} removes
 * everything. Missing binaries skip the test, except in CI ({@code CI=true} or
 * {@code -Disol8.it.requireDocker=true}) where they fail it.
 */
public final class PostgresServer implements AutoCloseable {
    private static final String[] BIN_DIRS = {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin",
            "/usr/lib/postgresql/17/bin"};

    private final Path dir;
    private final Path bin;
    private final int port;
    private final boolean asPostgres;

    private PostgresServer(Path dir, Path bin, int port, boolean asPostgres) {
        this.dir = dir;
        this.bin = bin;
        this.port = port;
        this.asPostgres = asPostgres;
    }

    /** Starts a new server; skips (or fails in CI) when PostgreSQL is not installed or does not start. */
    public static PostgresServer start(String name) {
        Path bin = Stream.of(BIN_DIRS).map(Path::of).filter(p -> Files.isExecutable(p.resolve("pg_ctl"))).findFirst()
                .orElse(null);
        if (bin == null) {
            unavailable("PostgreSQL is not installed (apt-get install postgresql; scripts/host-setup.sh does it)");
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        try {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "isol8-pg-" + name + "-");
            if (root) {
                run(List.of("chown", "postgres", dir.toString()), 10);
            }
            PostgresServer pg = new PostgresServer(dir, bin, freePort(), root);
            pg.exec(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-A", "trust",
                    "-U", "isol8", "--no-sync", "-E", "UTF8"), 120);
            pg.start();
            return pg;
        } catch (IOException | RuntimeException e) {
            unavailable("PostgreSQL did not start: " + e.getMessage());
            throw new IllegalStateException("unreachable");
        }
    }

    private static void unavailable(String why) {
        if (mandatory()) {
            fail(why + " (CI makes the PostgreSQL tests mandatory)");
        }
        assumeTrue(false, why + "; PostgreSQL tests skipped");
    }

    /** Whether the PostgreSQL tests must run. */
    public static boolean mandatory() {
        return "true".equalsIgnoreCase(System.getenv("CI")) || DockerRequired.mandatory();
    }

    /** Starts (again) the stopped server on the same port and data. */
    public void start() {
        exec(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-o",
                "-p " + port + " -k " + dir + " -h 127.0.0.1 -F", "-l", dir.resolve("log").toString(), "-w", "-t", "60",
                "start"), 90);
    }

    /** Stops the server at once (connections are cut). */
    public void stop() {
        exec(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate", "-w",
                "stop"), 60);
    }

    public int port() {
        return port;
    }

    /** A fresh database on this server; returns its {@code postgres://} URL. */
    public String createDatabase(String db) {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "isol8", "");
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + db);
            s.execute("CREATE DATABASE " + db);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return url(db);
    }

    public String url(String db) {
        return "postgres://isol8@127.0.0.1:" + port + "/" + db;
    }

    public String jdbcUrl(String db) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + db + "?user=isol8";
    }

    private void exec(List<String> command, int timeoutSeconds) {
        List<String> full = new ArrayList<>();
        if (asPostgres) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        run(full, timeoutSeconds);
    }

    private static void run(List<String> command, int timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(command).directory(Path.of("/tmp").toFile()).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command.get(0) + " did not finish in " + timeoutSeconds + " s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited with " + p.exitValue() + ": "
                        + new String(out, java.nio.charset.StandardCharsets.UTF_8).strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (RuntimeException e) {
            // already stopped
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
