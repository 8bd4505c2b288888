package io.isol8.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Command-line parsing, messages and exit codes (config.md §2). */
class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        return Main.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void versionPrintsTheBuildVersion() {
        assertEquals(0, run(Map.of(), "--version"));
        assertEquals("1.0.0\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void noArgumentsPrintsUsage() {
        assertEquals(0, run(Map.of()));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("isol8 serve"));
    }

    @Test
    void unknownCommandExits1() {
        assertEquals(1, run(Map.of(), "bogus"));
        assertTrue(err().startsWith("Unknown argument: bogus\n"), err());
    }

    @Test
    void unknownFlagExits1() {
        assertEquals(1, run(Map.of(), "serve", "--nope"));
        assertTrue(err().startsWith("Unknown argument: --nope\n"), err());
    }

    @Test
    void serveWithoutAnyKeyExplainsHowToPassOne(@TempDir Path home) {
        assertEquals(1, run(Map.of("HOME", home.toString()), "serve"));
        assertEquals("error: API key required. Use --key or ISOL8_API_KEY, or configure auth.keys.\n", err());
    }

    @Test
    void invalidPortNamesItsSource(@TempDir Path home) {
        assertEquals(1, run(Map.of("HOME", home.toString(), "ISOL8_PORT", "x"), "serve", "--key", "k"));
        assertEquals("error: Invalid port from ISOL8_PORT: \"x\". Expected 1-65535.\n", err());
    }

    @Test
    void flagPortWinsOverEnvironment() {
        Args args = Args.parse(new String[]{"serve", "-p", "4001"});
        assertEquals(4001, Main.port(args, Map.of("ISOL8_PORT", "4002", "PORT", "4003"), io.isol8.config.Isol8Config.builtIn()));
        assertEquals(4002, Main.port(Args.parse(new String[]{"serve"}), Map.of("ISOL8_PORT", "4002", "PORT", "4003"),
                io.isol8.config.Isol8Config.builtIn()));
    }

    @Test
    void badConfigKeyStopsStartUpNamingIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("isol8.yaml");
        Files.writeString(file, "defaults:\n  memory: 1g\n");
        assertEquals(1, run(Map.of(), "serve", "--key", "k", "--config", file.toString()));
        assertTrue(err().contains("unknown key \"defaults.memory\""), err());
        assertTrue(err().startsWith("error: Invalid configuration (" + file), err());
    }

    @Test
    void missingConfigFileNamesTheFlag() {
        assertEquals(1, run(Map.of(), "serve", "--key", "k", "--config", "/nonexistent/isol8.yaml"));
        assertEquals("error: Config file not found: /nonexistent/isol8.yaml (from --config)\n", err());
    }

    @Test
    void portInUseIsAClearError(@TempDir Path home) throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            int port = taken.getLocalPort();
            assertEquals(1, run(Map.of("HOME", home.toString()), "serve", "--key", "k", "--port", Integer.toString(port)));
            assertEquals("error: Port " + port + " is already in use\n", err());
        }
    }

    @Test
    void unsupportedKeyStoreSchemeStopsStartUpNamingTheSupportedOnes(@TempDir Path home) {
        assertEquals(1, run(Map.of("HOME", home.toString()), "serve", "--key", "k", "--auth-db",
                "mysql://root:secret@db/isol8"));
        assertEquals("error: Invalid auth database (from --auth-db): MySQL/MariaDB key stores are not supported;"
                + " use sqlite:PATH or postgres://\n", err());
        assertEquals(1, run(Map.of("HOME", home.toString()), "serve", "--key", "k", "--auth-db", "redis://db"));
        assertTrue(err().endsWith("unknown scheme; supported: sqlite:PATH (or a file path), postgres://, postgresql://\n"),
                err());
    }
}
