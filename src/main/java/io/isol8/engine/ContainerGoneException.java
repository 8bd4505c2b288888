package io.isol8.engine;

/** The container stopped or was removed; the sandbox cannot be used any more. */
public final class ContainerGoneException extends RuntimeException {
    public ContainerGoneException(String containerId) {
        super("container " + containerId + " is no longer running", null, false, false);
    }
}
