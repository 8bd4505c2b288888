package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import io.isol8.core.ContainerSettings;
import io.isol8.core.Network;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The containers of one {@link FloorProbe}: created hardened like a sandbox ({@link Containers#hardened}),
 * labelled {@code io.isol8.bench=floor} plus a per-run label, execs in them with their output collected,
 * and removal of all of them on {@link #close()}.
 */
final class ProbeContainers implements AutoCloseable {
    static final String LABEL = "io.isol8.bench";
    static final String RUN_LABEL = "io.isol8.bench.run";
    static final String USER = "1000:1000";
    private static final long MEMORY = 512L * 1024 * 1024;
    private static final long SANDBOX_SIZE = 512L * 1024 * 1024;
    private static final long TMP_SIZE = 256L * 1024 * 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DockerClient docker;
    private final String image;
    private final String runId = hex(6);
    private final Set<String> live = ConcurrentHashMap.newKeySet();

    ProbeContainers(DockerClient docker, String image) {
        this.docker = docker;
        this.image = image;
    }

    /** What one exec printed and how it ended; {@code problem} is set when it did not finish. */
    record Output(Long exit, String stdout, String stderr, String problem) {
    }

    Output execOutput(String containerId, List<String> cmd, int timeoutSeconds) {
        String execId = docker.execCreateCmd(containerId)
                .withUser(USER)
                .withAttachStdin(false)
                .withAttachStdout(true)
                .withAttachStderr(true)
                .withTty(false)
                .withWorkingDir("/sandbox")
                .withCmd(cmd.toArray(String[]::new))
                .exec()
                .getId();
        Collector out = new Collector();
        try {
            docker.execStartCmd(execId).withDetach(false).withTty(false).exec(out);
            if (!out.awaitCompletion(timeoutSeconds, TimeUnit.SECONDS)) {
                out.close();
                return new Output(null, "", "", "exec did not finish within " + timeoutSeconds + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Output(null, "", "", "interrupted");
        } catch (IOException e) {
            return new Output(null, "", "", e.toString());
        }
        Long exit = null;
        for (int i = 0; i < 20 && exit == null; i++) {
            var inspect = docker.inspectExecCmd(execId).exec();
            if (!Boolean.TRUE.equals(inspect.isRunning())) {
                exit = inspect.getExitCodeLong();
            }
        }
        return new Output(exit, out.stdout.toString(StandardCharsets.UTF_8), out.stderr.toString(StandardCharsets.UTF_8),
                null);
    }

    String createAndStart(String kind) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(LABEL, "floor");
        labels.put(RUN_LABEL, runId);
        ContainerSettings settings = new ContainerSettings(image, MEMORY, 1.0, 64, SANDBOX_SIZE, TMP_SIZE,
                Network.NONE, true);
        String id;
        try {
            id = Containers.hardened(docker, settings, "isol8-bench-" + kind + "-" + hex(6), labels)
                    .exec()
                    .getId();
        } catch (NotFoundException e) {
            throw new IllegalStateException("Image \"" + image + "\" is missing. Build it with docker/build-offline.sh"
                    + " or pass --image.");
        }
        live.add(id);
        Containers.start(docker, id); // a failed start removes the container
        return id;
    }

    void remove(String id) {
        Containers.remove(docker, id);
        live.remove(id);
    }

    /** Removes every container this probe created (also those whose create answer was lost), then disconnects. */
    @Override
    public void close() {
        try {
            for (String id : new ArrayList<>(live)) {
                remove(id);
            }
            List<Container> left = docker.listContainersCmd().withShowAll(true)
                    .withLabelFilter(Map.of(RUN_LABEL, runId)).exec();
            for (Container c : left) {
                remove(c.getId());
            }
        } catch (RuntimeException e) {
            // best effort; the label io.isol8.bench=floor finds leftovers
        } finally {
            try {
                docker.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Collects an exec's output frames. */
    private static final class Collector extends ResultCallback.Adapter<Frame> {
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

        @Override
        public void onNext(Frame frame) {
            synchronized (this) {
                (frame.getStreamType() == StreamType.STDERR ? stderr : stdout).writeBytes(frame.getPayload());
            }
        }
    }
}
