package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Container;
import io.isol8.engine.Telemetry;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Removes containers (sandbox.md §11): one at a time in the background with retries, this instance's
 * leftovers in the start-up sweep, all of them at shutdown, and every managed one for {@code cleanup --all}.
 * Finds containers by label only.
 */
final class Reaper implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Reaper.class.getName());
    private static final int ATTEMPTS = 3;

    private final DockerClient docker;
    private final Containers containers;
    private final DockerFailures failures;
    private final Telemetry telemetry;
    private final String instanceId;
    private final ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore removals = new Semaphore(4);

    Reaper(DockerClient docker, Containers containers, DockerFailures failures, Telemetry telemetry, String instanceId) {
        this.docker = docker;
        this.containers = containers;
        this.failures = failures;
        this.telemetry = telemetry;
        this.instanceId = instanceId;
    }

    /**
     * Takes the snapshot of this instance's containers and removes them in the background (4 at a time).
     *
     * @throws io.isol8.core.Isol8Exception.Unavailable Docker does not answer
     */
    void sweep() {
        List<Container> leftovers = own();
        if (!leftovers.isEmpty()) {
            LOG.info("removing " + leftovers.size() + " container(s) left by an earlier run");
        }
        leftovers.forEach(c -> discard(c.getId()));
    }

    /**
     * Force-removes a container in the background: up to three attempts with back-off, then it is left to
     * the next start-up sweep. Returns at once.
     */
    void discard(String containerId) {
        background.submit(() -> {
            removals.acquireUninterruptibly();
            try {
                for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                    try {
                        containers.remove(containerId);
                        telemetry.containerRemoved();
                        LOG.fine(() -> "removed container " + containerId.substring(0, 12));
                        return;
                    } catch (RuntimeException e) {
                        LOG.log(Level.FINE, "remove of " + containerId + " failed", failures.engine("remove", e));
                        Thread.sleep(200L << attempt);
                    }
                }
                LOG.warning("container " + containerId + " could not be removed; the next start-up sweep will");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                removals.release();
            }
        });
    }

    /**
     * Removes every container of this instance, several at once, bounded to about 10 s; returns how many
     * there were.
     *
     * @throws io.isol8.core.Isol8Exception.Unavailable Docker does not answer
     */
    int removeAll() {
        List<Container> own = own();
        try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
            own.forEach(c -> parallel.submit(() -> containers.remove(c.getId())));
            parallel.shutdown();
            parallel.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return own.size();
    }

    /**
     * Removes every isol8-managed container of any instance ({@code isol8 cleanup --all}).
     *
     * @throws io.isol8.core.Isol8Exception.Unavailable Docker does not answer
     */
    int removeEveryManaged() {
        List<Container> all = list(Map.of(Containers.MANAGED, "true"));
        all.forEach(c -> {
            try {
                containers.remove(c.getId());
            } catch (RuntimeException e) {
                throw failures.engine("remove", e);
            }
        });
        return all.size();
    }

    /** Waits (at most 5 s) for background removals in progress. */
    @Override
    public void close() {
        background.shutdown();
        try {
            background.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private List<Container> own() {
        return list(Map.of(Containers.MANAGED, "true", Containers.INSTANCE, instanceId));
    }

    private List<Container> list(Map<String, String> labels) {
        try {
            return docker.listContainersCmd().withShowAll(true).withLabelFilter(labels).exec();
        } catch (RuntimeException e) {
            throw failures.engine("list", e);
        }
    }
}
