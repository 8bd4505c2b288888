/**
 * {@code isol8 setup}: builds, labels and smoke-tests the runtime images through the Engine API, online
 * or from a debootstrapped root filesystem, with the same build hash as {@code docker/build-offline.sh}.
 */
package io.isol8.engine.docker.setup;
