package io.isol8.engine.docker;

import io.isol8.core.Isol8Exception;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.agent.Message;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Files in and out of one container through its agent ({@code get}, {@code put}, {@code outputs} of
 * {@code docs/agent-protocol.md}): no process is started for them. Errors and messages are those of
 * {@link ScriptFiles}.
 */
final class AgentFiles implements ContainerFiles {
    private static final long OUTPUTS_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long FILE_API_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** The agent's limit on paths per {@code outputs}. */
    private static final int MAX_PATHS = 256;

    private final AgentSpawner agent;
    private final long maxFileBytes;

    AgentFiles(AgentSpawner agent, long maxFileBytes) {
        this.agent = agent;
        this.maxFileBytes = maxFileBytes;
    }

    @Override
    public Map<String, byte[]> outputs(List<String> requested) {
        List<String> paths = ContainerFiles.resolved(requested);
        if (paths.isEmpty()) {
            return Map.of();
        }
        if (paths.size() > MAX_PATHS) {
            paths = paths.subList(0, MAX_PATHS);
        }
        List<String> asked = paths;
        long overhead = asked.stream().mapToLong(p -> 12L + p.getBytes(StandardCharsets.UTF_8).length).sum();
        AgentSpawner.Answer a = agent.fetch(id -> new Message.Outputs(id, maxFileBytes, asked),
                maxFileBytes + overhead, System.nanoTime() + OUTPUTS_NANOS);
        if (a.data() == null) {
            throw ContainerFiles.outputsUnreadable(new IllegalStateException(
                    a.error() != null ? "outputs: " + a.error() : "outputs: no answer within 10 s"));
        }
        return ContainerFiles.asRequested(requested, records(a.data()));
    }

    /** The records of an outputs answer: {@code string path, u64 size, bytes}, back to back. */
    private static Map<String, byte[]> records(byte[] data) {
        Map<String, byte[]> files = new HashMap<>();
        ByteBuffer in = ByteBuffer.wrap(data);
        try {
            while (in.hasRemaining()) {
                byte[] path = new byte[in.getInt()];
                in.get(path);
                long size = in.getLong();
                if (size < 0 || size > in.remaining()) {
                    throw new IllegalStateException("a record's size " + size + " exceeds the answer");
                }
                int at = in.position();
                files.put(new String(path, StandardCharsets.UTF_8), Arrays.copyOfRange(data, at, at + (int) size));
                in.position(at + (int) size);
            }
        } catch (RuntimeException e) {
            throw ContainerFiles.outputsUnreadable(e);
        }
        return files;
    }

    @Override
    public byte[] read(String path, long maxBytes) {
        AgentSpawner.Answer a = agent.fetch(id -> new Message.Get(id, maxBytes, path), maxBytes,
                System.nanoTime() + FILE_API_NANOS);
        if (a.data() != null) {
            return a.data();
        }
        if (a.error() == null) {
            throw ContainerFiles.unreadable(path, new IllegalStateException("get: no answer within 60 s"));
        }
        throw switch (a.error()) {
            case "not found" -> new Isol8Exception.NotFound("File not found: " + path);
            case "not a regular file" -> new Isol8Exception.BadRequest("Not a regular file: " + path);
            case "too large" -> ContainerFiles.tooLarge(maxBytes);
            default -> ContainerFiles.unreadable(path, new IllegalStateException("get: " + a.error()));
        };
    }

    @Override
    public void write(String path, byte[] content, String sizeHint) {
        byte[] archive = new StagingArchive().add(path, content).toBytes();
        AgentSpawner.Answer a = agent.put(archive, System.nanoTime() + FILE_API_NANOS, new CancelSignal());
        if (a.ended() != null) {
            throw new Isol8Exception.Unavailable("Could not write " + path + " into the container. Try again.",
                    new IllegalStateException("put: no answer within 60 s"));
        }
        if (a.error() != null) {
            throw ContainerFiles.notWritten(path, a.error(), sizeHint);
        }
    }
}
