package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.ExecStartCmd;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import io.isol8.core.Isol8Exception;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.ContainerGoneException;

import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs one exec as the sandbox user and hands its output frames to the calling thread. Docker's callback
 * thread only puts frames into a bounded queue, so a slow consumer slows the program down instead of
 * filling memory.
 */
final class ExecRunner {
    static final String USER = "1000:1000";
    private static final Logger LOG = Logger.getLogger(ExecRunner.class.getName());
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long EXIT_STATUS_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final long KILL_SETTLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final DockerClient docker;
    private final DockerFailures failures;

    ExecRunner(DockerClient docker, DockerFailures failures) {
        this.docker = docker;
        this.failures = failures;
    }

    /** Receives output frames on the calling thread. */
    interface FrameHandler {
        void frame(boolean stderr, byte[] payload);
    }

    /** How an exec ended: {@code exitCode} is -1 when it did not end by itself. */
    record Result(int exitCode, boolean deadlineHit, boolean cancelled) {
    }

    /**
     * Runs {@code cmd} and blocks until it ends, {@code deadlineNanos} (System.nanoTime) passes, or
     * {@code cancel} fires.
     *
     * @throws ContainerGoneException     the container is not running (any more)
     * @throws Isol8Exception.Unavailable Docker failed, or never told the exit status
     */
    Result run(String containerId, List<String> cmd, List<String> env, byte[] stdin, FrameHandler handler,
               long deadlineNanos, CancelSignal cancel) {
        return failures.inContainer(containerId, "exec",
                () -> execute(containerId, cmd, env, stdin, handler, deadlineNanos, cancel));
    }

    private Result execute(String containerId, List<String> cmd, List<String> env, byte[] stdin, FrameHandler handler,
                           long deadlineNanos, CancelSignal cancel) {
        long started = System.nanoTime();
        String execId = create(containerId, cmd, env, stdin.length > 0);
        FrameQueue queue = new FrameQueue();
        ExecStartCmd start = docker.execStartCmd(execId).withDetach(false).withTty(false);
        if (stdin.length > 0) {
            start.withStdIn(new ByteArrayInputStream(stdin));
        }
        try (FrameQueue q = start.exec(queue)) {
            while (true) {
                if (cancel.isCancelled()) {
                    return new Result(-1, false, true);
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return new Result(-1, true, false);
                }
                Object item = q.items.poll(Math.min(left, SLICE_NANOS), TimeUnit.NANOSECONDS);
                if (item == FrameQueue.END) {
                    break;
                } else if (item instanceof Frame f) {
                    handler.frame(f.getStreamType() == StreamType.STDERR, f.getPayload());
                } else if (item instanceof RuntimeException e) {
                    throw e;
                } else if (item instanceof Throwable t) {
                    throw new IllegalStateException("exec stream failed", t);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, false, true);
        }
        if (cancel.isCancelled()) {
            return new Result(-1, false, true);
        }
        int exit;
        try {
            exit = exitCode(containerId, execId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, false, true);
        }
        if (LOG.isLoggable(Level.FINE)) {
            // the launcher's arguments after the script are numbers, validated paths and the fixed command
            LOG.fine("exec " + containerId.substring(0, 12) + " " + String.join(" ", cmd.subList(4, cmd.size()))
                    + " stdin=" + stdin.length + "B exit=" + exit + " " + (System.nanoTime() - started) / 1_000_000 + "ms");
        }
        return new Result(exit, false, false);
    }

    /** Runs a helper and collects its stdout (at most {@code maxBytes}, then it stops reading). */
    Captured capture(String containerId, List<String> cmd, long maxBytes, long deadlineNanos) {
        Captured captured = new Captured(maxBytes);
        Result r = run(containerId, cmd, List.of(), new byte[0], captured, deadlineNanos, new CancelSignal());
        captured.exitCode = r.exitCode;
        return captured;
    }

    private String create(String containerId, List<String> cmd, List<String> env, boolean attachStdin) {
        return docker.execCreateCmd(containerId)
                .withUser(USER)
                .withAttachStdin(attachStdin)
                .withAttachStdout(true)
                .withAttachStderr(true)
                .withTty(false)
                .withWorkingDir("/sandbox")
                .withEnv(env)
                .withCmd(cmd.toArray(String[]::new))
                .exec()
                .getId();
    }

    /** The exec's exit status, once Docker has settled it ({@link ExitStatus}). */
    private int exitCode(String containerId, String execId) throws InterruptedException {
        OptionalInt status = ExitStatus.await(() -> {
            var inspect = docker.inspectExecCmd(execId).exec();
            return !Boolean.TRUE.equals(inspect.isRunning()) && inspect.getExitCodeLong() != null
                    ? OptionalInt.of(inspect.getExitCodeLong().intValue()) : OptionalInt.empty();
        }, EXIT_STATUS_NANOS);
        if (status.isEmpty()) {
            throw failures.noExitStatus(containerId);
        }
        return status.getAsInt();
    }

    /**
     * Confirms the container still runs, allowing it up to a second to be seen stopping: for when a helper
     * failed in a way only a dying container explains.
     *
     * @throws ContainerGoneException it stopped or was removed
     */
    void requireRunning(String containerId) {
        failures.requireRunning(containerId, KILL_SETTLE_NANOS);
    }
}
