package io.isol8.engine.docker;

/** Fault injection for the agent executor's tests: bytes on a container's channel as if its agent wrote them. */
public final class AgentFaults {
    private AgentFaults() {
    }

    /** Feeds {@code bytes} to the channel of {@code containerId}; false if the engine has no channel for it. */
    public static boolean inject(DockerEngine engine, String containerId, byte[] bytes) {
        return engine.channel(containerId).map(c -> {
            c.received(bytes);
            return true;
        }).orElse(false);
    }
}
