package io.isol8.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every row of api.md §8.3, byte for byte, through the real server over the scripted engine. */
class StreamEndingsTest {
    private static FakeServer server;

    @BeforeAll
    static void start() {
        server = FakeServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String frames(String code, String extraRequest) throws Exception {
        return check(server.stream(FakeServer.body(code, extraRequest, "")));
    }

    private static String check(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("text/event-stream", r.headers().firstValue("Content-Type").orElse(""));
        assertTrue(r.headers().firstValue("X-Isol8-Execution-Id").orElse("").matches("[0-9a-f-]{36}"));
        return r.body();
    }

    private static String frame(String type, String data, String phase) {
        return "data: {\"type\":\"" + type + "\",\"data\":\"" + data + "\""
                + (phase == null ? "" : ",\"phase\":\"" + phase + "\"") + "}\n\n";
    }

    @Test
    void programEndsWithItsExitCode() throws Exception {
        assertEquals(frame("stdout", "0\\n", "code") + frame("stderr", "warn\\n", "code") + frame("exit", "2", "code"),
                frames("out:0\nerr:warn\nexit:2", ""));
    }

    @Test
    void timeoutDuringCodeSendsErrorThenExit137() throws Exception {
        assertEquals(frame("stdout", "a\\n", "code") + frame("error", "EXECUTION TIMED OUT", "code")
                + frame("exit", "137", "code"), frames("out:a\ntimeout", ""));
    }

    @Test
    void oomDuringCodeSendsMemoryLimitExceeded() throws Exception {
        assertEquals(frame("error", "MEMORY LIMIT EXCEEDED", "code") + frame("exit", "137", "code"), frames("oom", ""));
    }

    @Test
    void setupSuccessEndsSetupWithExitZeroThenRunsCode() throws Exception {
        assertEquals(frame("stdout", "ready\\n", "setup") + frame("exit", "0", "setup")
                        + frame("stdout", "hi\\n", "code") + frame("exit", "0", "code"),
                frames("out:hi", "\"setupScript\":\"out:ready\""));
    }

    @Test
    void setupFailureEndsTheStreamInSetup() throws Exception {
        assertEquals(frame("stdout", "preparing\\n", "setup") + frame("error", "Setup script failed (exit code 4)", "setup")
                + frame("exit", "4", "setup"), frames("out:never", "\"setupScript\":\"out:preparing\\nexit:4\""));
    }

    @Test
    void setupTimeoutSaysSetupScriptTimedOut() throws Exception {
        assertEquals(frame("error", "SETUP SCRIPT TIMED OUT", "setup") + frame("exit", "137", "setup"),
                frames("out:never", "\"setupScript\":\"timeout\""));
    }

    @Test
    void installFailureCarriesTheTailOfItsStderr() throws Exception {
        assertEquals(frame("error", "Package install failed (exit code 1): ERROR: no package named fail", "setup")
                        + frame("exit", "1", "setup"),
                frames("out:never", "\"installPackages\":[\"fail\"]},\"options\":{\"network\":\"bridge\""));
    }

    @Test
    void installTimeoutSaysPackageInstallTimedOut() throws Exception {
        assertEquals(frame("error", "PACKAGE INSTALL TIMED OUT", "setup") + frame("exit", "137", "setup"),
                frames("out:never", "\"installPackages\":[\"slow\"]},\"options\":{\"network\":\"bridge\""));
    }

    @Test
    void successfulInstallSendsNoFrames() throws Exception {
        assertEquals(frame("stdout", "x\\n", "code") + frame("exit", "0", "code"),
                frames("out:x", "\"installPackages\":[\"requests\"]},\"options\":{\"network\":\"bridge\""));
    }

    @Test
    void outputOverTheCapIsCutWithOneNoticeAndTheExitIsUnaffected() throws Exception {
        assertEquals(frame("stdout", "xxxxxxxxxx", "code")
                        + frame("stdout", "\\n--- OUTPUT TRUNCATED (limit: 10 bytes) ---\\n", "code")
                        + frame("stderr", "e\\n", "code") + frame("exit", "3", "code"),
                check(server.stream(FakeServer.body("bytes:25\nbytes:5\nerr:e\nexit:3", "", "\"options\":{\"maxOutputSize\":10}"))));
    }

    @Test
    void engineLostWhileRunningEndsTheCodePhaseWithExit1() throws Exception {
        assertEquals(frame("stdout", "a\\n", "code")
                        + frame("error", "Docker engine is not reachable at unix:///fake.sock. Start the Docker daemon or set docker.host.", "code")
                        + frame("exit", "1", "code"),
                frames("out:a\nlost", ""));
    }

    @Test
    void failureBeforeAnyPhaseIsOneErrorWithoutPhaseOrExit() throws Exception {
        assertEquals(frame("error", "Docker engine is not reachable at unix:///fake.sock. Start the Docker daemon or set docker.host.", null),
                frames("lost", ""));
    }

    @Test
    void unexpectedFailureShowsAnErrorIdAndNoInternals() throws Exception {
        String body = frames("out:a\nbug", "");
        assertTrue(body.matches("(?s)data: \\{\"type\":\"stdout\",\"data\":\"a\\\\n\",\"phase\":\"code\"}\n\n"
                + "data: \\{\"type\":\"error\",\"data\":\"Internal error \\(errorId [0-9a-f-]{36}\\)\",\"phase\":\"code\"}\n\n"
                + "data: \\{\"type\":\"exit\",\"data\":\"1\",\"phase\":\"code\"}\n\n"), body);
        assertFalse(body.contains("Secret") || body.contains("IllegalState"), body);
    }

    @Test
    void secretsAreMaskedInFrames() throws Exception {
        assertEquals(frame("stdout", "token=***\\n", "code") + frame("exit", "0", "code"),
                check(server.stream(FakeServer.body("out:token=hunter22", "", "\"options\":{\"secrets\":{\"TOKEN\":\"hunter22\"}}"))));
    }

    @Test
    void sessionDeletedWhileRunningSendsSessionDeleted() throws Exception {
        server.engine.waiting = new CountDownLatch(1);
        var answer = server.streamAsync(FakeServer.body("out:a\nhang", "", "\"sessionId\":\"del-me\""));
        assertTrue(server.engine.waiting.await(5, TimeUnit.SECONDS));
        assertEquals(200, server.delete("/session/del-me").statusCode());
        assertEquals(frame("stdout", "a\\n", "code") + frame("error", "SESSION DELETED", "code") + frame("exit", "137", "code"),
                check(answer.get(5, TimeUnit.SECONDS)));
    }

    @Test
    void shutdownWhileRunningSendsServerIsShuttingDown() throws Exception {
        try (FakeServer own = FakeServer.start()) {
            var answer = own.streamAsync(FakeServer.body("out:a\nhang", "", ""));
            assertTrue(own.engine.waiting.await(5, TimeUnit.SECONDS));
            own.app.executions().shutdown(50);
            assertEquals(frame("stdout", "a\\n", "code") + frame("error", "Server is shutting down", "code")
                    + frame("exit", "137", "code"), check(answer.get(5, TimeUnit.SECONDS)));
        }
    }
}
