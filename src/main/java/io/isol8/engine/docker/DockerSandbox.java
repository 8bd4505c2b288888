package io.isol8.engine.docker;

import io.isol8.core.ExecutionSpec;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.ContainerGoneException;
import io.isol8.engine.Interaction;
import io.isol8.engine.OutputSink;
import io.isol8.engine.RunOutcome;
import io.isol8.engine.Sandbox;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A running container: executions through {@link PhaseRunner}, files through {@link ContainerFiles}
 * (sandbox.md §1, §3, §6, §8). Docker's failures arrive as the project's exceptions; a lost container is
 * always a {@link ContainerGoneException}.
 */
final class DockerSandbox implements Sandbox {
    private final String containerId;
    private final PhaseRunner phases;
    private final ContainerFiles files;
    private final Consumer<String> remove;
    private final boolean removeOnClose;
    private final Runnable onGone;

    /**
     * @param remove        force-removes a container in the background
     * @param removeOnClose whether {@link #close()} removes the container (ephemeral) or leaves it (session)
     * @param onGone        runs when the container turns out to be gone (a dead warm container)
     */
    DockerSandbox(String containerId, Spawner spawner, long maxFileBytes, Consumer<String> remove,
                  boolean removeOnClose, Runnable onGone, Installs installs) {
        this.containerId = containerId;
        this.files = spawner.files(maxFileBytes);
        this.phases = new PhaseRunner(spawner, files, () -> remove.accept(containerId), installs);
        this.remove = remove;
        this.removeOnClose = removeOnClose;
        this.onGone = onGone;
    }

    @Override
    public String containerId() {
        return containerId;
    }

    @Override
    public RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel) {
        return noticingGone(() -> phases.run(spec, sink, cancel, null));
    }

    @Override
    public RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel, Interaction interaction) {
        return noticingGone(() -> phases.run(spec, sink, cancel, interaction));
    }

    @Override
    public boolean killAll() {
        return phases.killAll();
    }

    @Override
    public byte[] readFile(String path, long maxBytes) {
        return noticingGone(() -> files.read(path, maxBytes));
    }

    @Override
    public void writeFile(String path, byte[] content, String sizeHint) {
        noticingGone(() -> {
            files.write(path, content, sizeHint);
            return null;
        });
    }

    @Override
    public void close() {
        if (removeOnClose) {
            remove.accept(containerId);
        }
    }

    private <T> T noticingGone(Supplier<T> call) {
        try {
            return call.get();
        } catch (ContainerGoneException e) {
            onGone.run();
            throw e;
        }
    }
}
