package io.isol8.core;

import java.util.Objects;

/**
 * Everything that shapes a container. Two executions may share a container (warm pool, session)
 * only when their settings are equal.
 *
 * @param image         Docker image reference
 * @param memoryBytes   memory limit (swap is always equal to it)
 * @param cpus          CPU cores
 * @param pidsLimit     processes and threads
 * @param sandboxBytes  size of the /sandbox tmpfs
 * @param tmpBytes      size of the /tmp tmpfs
 * @param network       network mode
 * @param readonlyRootFs whether the root filesystem is read-only
 */
public record ContainerSettings(String image, long memoryBytes, double cpus, long pidsLimit,
                                long sandboxBytes, long tmpBytes, Network network, boolean readonlyRootFs) {
    public ContainerSettings {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(network, "network");
    }
}
