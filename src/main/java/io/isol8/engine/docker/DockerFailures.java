package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import io.isol8.core.Isol8Exception;
import io.isol8.core.Language;
import io.isol8.engine.ContainerGoneException;
import io.isol8.engine.Telemetry;

import java.io.IOException;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * The one place where docker-java's failures become the project's exceptions (style habit 3). The
 * client-facing message names the problem and its fix; Docker's own text stays in the cause, for the log.
 * Only a connection failure adds its socket-level reason (e.g. "Connection refused"), as api.md §11.2 shows.
 */
final class DockerFailures {
    private final DockerClient docker;
    private final String endpoint;
    private final Telemetry telemetry;

    DockerFailures(DockerClient docker, String endpoint, Telemetry telemetry) {
        this.docker = docker;
        this.endpoint = endpoint;
        this.telemetry = telemetry;
    }

    /**
     * A failure of an engine-wide call ({@code operation}: ping, list, create, remove, …). Our own exceptions
     * pass through; anything else is counted and becomes a 503.
     */
    RuntimeException engine(String operation, RuntimeException e) {
        if (e instanceof Isol8Exception || e instanceof ContainerGoneException) {
            return e;
        }
        telemetry.dockerError(operation);
        if (e instanceof DockerException && connectionFailure(e) == null) {
            return new Isol8Exception.Unavailable("The Docker engine at " + endpoint + " could not " + describe(operation)
                    + ". Try again; if it keeps failing, check the Docker daemon's log.", e);
        }
        return Isol8Exception.Unavailable.engineUnreachable(endpoint, connectionFailure(e), e);
    }

    /** A failure while creating a container from {@code image}: Docker's 404 means the image is missing. */
    RuntimeException creating(String image, Language runtime, RuntimeException e) {
        if (e instanceof NotFoundException) {
            return Isol8Exception.Unavailable.imageMissing(image, runtime);
        }
        return engine("create", e);
    }

    /**
     * A failure on the run path of one container. Docker's 404 (no such container or exec) and 409 (not
     * running) mean the container is gone; any other failure is checked against the container's state, so a
     * container removed or stopped mid-run is reported as gone, whatever the call that noticed it.
     */
    RuntimeException inContainer(String containerId, String operation, RuntimeException e) {
        if (e instanceof Isol8Exception || e instanceof ContainerGoneException) {
            return e;
        }
        if (e instanceof NotFoundException || e instanceof ConflictException || !running(containerId)) {
            return new ContainerGoneException(containerId);
        }
        return engine(operation, e);
    }

    /** Runs {@code call}, translating its failures with {@link #inContainer}. */
    <T> T inContainer(String containerId, String operation, Supplier<T> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            throw inContainer(containerId, operation, e);
        }
    }

    /**
     * Docker answered but never settled an exec's exit status: gone if the container is, else a 503 (the
     * program's status is unknown, so no exit code is made up).
     */
    RuntimeException noExitStatus(String containerId) {
        if (!running(containerId)) {
            return new ContainerGoneException(containerId);
        }
        telemetry.dockerError("exec");
        return new Isol8Exception.Unavailable("Could not read the exit status of the program from the Docker engine. "
                + "Try again; if it keeps failing, check the Docker daemon's log.");
    }

    /**
     * Throws {@link ContainerGoneException} if the container is stopped or removed, or stops within
     * {@code withinNanos} (Docker records a killed container's stop a moment after its processes died).
     */
    void requireRunning(String containerId, long withinNanos) {
        try {
            OptionalInt stopped = ExitStatus.await(() -> running(containerId) ? OptionalInt.empty() : OptionalInt.of(0),
                    withinNanos);
            if (stopped.isPresent()) {
                throw new ContainerGoneException(containerId);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the container still runs; true when that cannot be told (the caller reports the failure). */
    private boolean running(String containerId) {
        try {
            return Boolean.TRUE.equals(docker.inspectContainerCmd(containerId).exec().getState().getRunning());
        } catch (NotFoundException e) {
            return false;
        } catch (RuntimeException e) {
            return true;
        }
    }

    /** The socket-level reason when the engine could not be reached at all, else null. */
    private static String connectionFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            }
        }
        return null;
    }

    private static String describe(String operation) {
        return switch (operation) {
            case "create" -> "create a container";
            case "remove" -> "remove a container";
            case "list" -> "list containers";
            case "exec" -> "run a command in the container";
            default -> operation;
        };
    }
}
