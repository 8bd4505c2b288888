package io.isol8.testing;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The gate of every test that needs a real Docker engine: it skips when no engine answers, unless
 * {@code -Disol8.it.requireDocker=true} (CI), where it fails.
 */
public final class DockerRequired {
    private DockerRequired() {
    }

    /** Skips (or, in CI, fails) the calling test when {@code docker info} does not succeed. */
    public static void check() {
        boolean up;
        try {
            Process p = new ProcessBuilder("docker", "info").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            up = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            up = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            up = false;
        }
        if (!up && mandatory()) {
            fail("No Docker engine answers, and isol8.it.requireDocker=true makes Docker tests mandatory");
        }
        assumeTrue(up, "no Docker engine; Docker tests skipped");
    }

    /** Whether Docker tests must run (CI). */
    public static boolean mandatory() {
        return Boolean.getBoolean("isol8.it.requireDocker");
    }
}
