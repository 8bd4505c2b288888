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
 * @param filter        the hosts a {@link Network#FILTERED} container may reach ({@link NetworkFilter#NONE} otherwise)
 */
public record ContainerSettings(String image, long memoryBytes, double cpus, long pidsLimit,
                                long sandboxBytes, long tmpBytes, Network network, boolean readonlyRootFs,
                                NetworkFilter filter) {
    public ContainerSettings {
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(filter, "filter");
    }

    /** Settings without a network filter. */
    public ContainerSettings(String image, long memoryBytes, double cpus, long pidsLimit, long sandboxBytes,
                             long tmpBytes, Network network, boolean readonlyRootFs) {
        this(image, memoryBytes, cpus, pidsLimit, sandboxBytes, tmpBytes, network, readonlyRootFs, NetworkFilter.NONE);
    }
}
