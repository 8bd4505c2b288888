package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import io.isol8.config.Isol8Config;
import io.isol8.core.ContainerSettings;
import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception;
import io.isol8.core.Runtime;
import io.isol8.engine.Engine;
import io.isol8.engine.Sandbox;
import io.isol8.engine.Telemetry;

import java.io.IOException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Docker implementation of {@link Engine}: one docker-java client per process, hardened containers,
 * a warm pool, a start-up sweep and removal of this instance's containers on close. The only class
 * family that imports docker-java.
 */
public final class DockerEngine implements Engine {
    private static final Logger LOG = Logger.getLogger(DockerEngine.class.getName());
    private static final long IMAGE_CACHE_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long PING_CACHE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long CPUS_RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Isol8Config config;
    private final String instanceId;
    private final EngineEndpoint endpoint;
    private final DockerClient docker;
    private final Containers containers;
    private final ExecRunner execs;
    private final WarmPool pool;
    private final ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore removals = new Semaphore(4);
    private final Map<Runtime, ContainerSettings> defaults = new EnumMap<>(Runtime.class);
    private final Telemetry telemetry;
    private volatile boolean swept;
    private volatile boolean closed;
    private volatile Map<Runtime, Boolean> images = Map.of();
    private volatile long imagesCheckedAt = Long.MIN_VALUE / 2;
    private volatile boolean pingOk;
    private volatile long pingedAt = Long.MIN_VALUE / 2;
    private volatile int hostCpus;
    private volatile long cpusAskedAt = Long.MIN_VALUE / 2;

    /**
     * Connects lazily; the start-up sweep and the pool start in the background (see {@link #start()}). A TLS
     * engine ({@code tcp://} with {@code docker.tls.certPath}) is pinged once here, so bad certificates stop the
     * start (see {@link EngineEndpoint#verify}).
     *
     * @param instanceId the resolved instance id (labels)
     * @param version    the server version (labels)
     * @param telemetry  receives pool, container and error events
     * @throws io.isol8.config.ConfigException a {@code tcp://} engine without TLS material (and without
     *                                         {@code docker.allowInsecure}), or one that fails the TLS handshake
     */
    public DockerEngine(Isol8Config config, String instanceId, String version, Telemetry telemetry) {
        this.config = config;
        this.telemetry = telemetry;
        this.instanceId = instanceId;
        this.endpoint = EngineEndpoint.of(config);
        this.docker = endpoint.open(1000);
        try {
            endpoint.verify(docker);
        } catch (RuntimeException e) {
            closeClient();
            throw e;
        }
        this.containers = new Containers(docker, instanceId, version);
        this.execs = new ExecRunner(docker);
        for (Runtime r : Runtime.values()) {
            defaults.put(r, defaultSettings(config, r));
        }
        Map<Runtime, Integer> sizes = new EnumMap<>(Runtime.class);
        for (Runtime r : Runtime.values()) {
            sizes.put(r, config.pool().sizeOf(r));
        }
        this.pool = new WarmPool(sizes, this::createWarm, this::discard);
    }

    /** The container settings of a request that overrides nothing. */
    public static ContainerSettings defaultSettings(Isol8Config config, Runtime runtime) {
        var d = config.defaults();
        return new ContainerSettings(config.images().of(runtime), d.memoryLimit(), d.cpuLimit(), d.pidsLimit(),
                d.sandboxSize(), d.tmpSize(), d.network(), true);
    }

    /** Starts the sweep (retrying while Docker is unreachable) and then the warm pool, in the background. */
    public void start() {
        Thread.ofVirtual().name("isol8-sweep").start(() -> {
            while (!closed) {
                try {
                    List<Container> leftovers = ownContainers();
                    swept = true;
                    if (!leftovers.isEmpty()) {
                        LOG.info("removing " + leftovers.size() + " container(s) left by an earlier run");
                    }
                    leftovers.forEach(c -> discard(c.getId()));
                    hostCpus();
                    pool.start();
                    return;
                } catch (RuntimeException e) {
                    LOG.warning("Docker engine not reachable at " + endpoint + "; retrying in 5 s");
                    try {
                        Thread.sleep(5000);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        });
    }

    @Override
    public Sandbox ephemeral(ExecutionSpec spec) {
        ensureImage(spec);
        if (WarmPool.eligible(spec.container(), defaults.get(spec.runtime()))) {
            Optional<String> warm = pool.take(spec.runtime());
            telemetry.poolRequest(spec.runtime(), warm.isPresent());
            if (warm.isPresent()) {
                return new DockerSandbox(warm.get(), execs, this, this::discard, pool::discardIdle);
            }
        }
        return sandbox(create(spec.container(), Containers.Owner.of("ephemeral", spec.runtime())), true);
    }

    @Override
    public Sandbox session(ExecutionSpec spec, String principal, String sessionId) {
        ensureImage(spec);
        String id = create(spec.container(), new Containers.Owner("session", spec.runtime(), sessionId, principal));
        return sandbox(id, false);
    }

    private Sandbox sandbox(String id, boolean removeOnClose) {
        return new DockerSandbox(id, execs, this, removeOnClose ? this::discard : c -> { }, () -> { });
    }

    private String create(ContainerSettings settings, Containers.Owner owner) {
        try {
            return timedCreate(settings, owner);
        } catch (Isol8Exception e) {
            throw e;
        } catch (RuntimeException e) {
            telemetry.dockerError("create");
            throw unavailable(e);
        }
    }

    private String timedCreate(ContainerSettings settings, Containers.Owner owner) {
        long start = System.nanoTime();
        String id = containers.createAndStart(settings, owner);
        telemetry.containerStarted((System.nanoTime() - start) / 1e9);
        LOG.fine(() -> "created " + owner.kind() + " container " + id.substring(0, 12) + " for "
                + owner.runtime().wireName() + " in " + (System.nanoTime() - start) / 1_000_000 + "ms");
        return id;
    }

    private String createWarm(Runtime runtime) {
        return timedCreate(defaults.get(runtime), Containers.Owner.of("warm", runtime));
    }

    private void ensureImage(ExecutionSpec spec) {
        if (spec.container().image().equals(config.images().of(spec.runtime()))
                && !images().getOrDefault(spec.runtime(), true)) {
            imagesCheckedAt = Long.MIN_VALUE / 2;
            if (!images().getOrDefault(spec.runtime(), true)) {
                throw Isol8Exception.Unavailable.imageMissing(spec.container().image(), spec.runtime());
            }
        }
    }

    @Override
    public void discard(String containerId) {
        background.submit(() -> {
            removals.acquireUninterruptibly();
            try {
                for (int attempt = 0; attempt < 3; attempt++) {
                    try {
                        containers.remove(containerId);
                        telemetry.containerRemoved();
                        LOG.fine(() -> "removed container " + containerId.substring(0, 12));
                        return;
                    } catch (RuntimeException e) {
                        telemetry.dockerError("remove");
                        LOG.log(Level.FINE, "remove of " + containerId + " failed", e);
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

    long maxFileBytes() {
        return config.limits().maxFileBytes();
    }

    @Override
    public boolean reachable() {
        long now = System.nanoTime();
        if (now - pingedAt > PING_CACHE_NANOS) {
            try {
                docker.pingCmd().exec();
                pingOk = true;
            } catch (RuntimeException e) {
                pingOk = false;
            }
            pingedAt = now;
        }
        return pingOk;
    }

    @Override
    public Map<Runtime, Boolean> images() {
        long now = System.nanoTime();
        if (now - imagesCheckedAt > IMAGE_CACHE_NANOS) {
            Map<Runtime, Boolean> found = new EnumMap<>(Runtime.class);
            try {
                for (Runtime r : Runtime.values()) {
                    found.put(r, imageExists(config.images().of(r)));
                }
                images = Map.copyOf(found);
                imagesCheckedAt = now;
            } catch (RuntimeException e) {
                return images;
            }
        }
        return images;
    }

    private boolean imageExists(String image) {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /**
     * The engine's CPU count ({@code docker info} NCPU), asked once and then cached. While the engine has never
     * answered, the JVM's own count stands in (asked again at most every 5 s); that is the Docker host's only when
     * the engine runs on this machine.
     */
    @Override
    public int hostCpus() {
        int known = hostCpus;
        if (known > 0) {
            return known;
        }
        long now = System.nanoTime();
        if (now - cpusAskedAt > CPUS_RETRY_NANOS) {
            cpusAskedAt = now;
            try {
                Integer n = docker.infoCmd().exec().getNCPU();
                if (n != null && n > 0) {
                    hostCpus = n;
                    return n;
                }
            } catch (RuntimeException e) {
                LOG.log(Level.FINE, "docker info failed", e);
            }
        }
        return java.lang.Runtime.getRuntime().availableProcessors();
    }

    @Override
    public Map<Runtime, Integer> poolIdle() {
        return pool.idleCounts();
    }

    @Override
    public String endpoint() {
        return endpoint.host();
    }

    @Override
    public boolean swept() {
        return swept;
    }

    /** Removes every container of this instance, several at once, bounded to about 10 s. */
    public int removeAll() {
        List<Container> own = ownContainers();
        try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
            own.forEach(c -> parallel.submit(() -> containers.remove(c.getId())));
            parallel.shutdown();
            parallel.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return own.size();
    }

    /** Removes every isol8-managed container of any instance ({@code isol8 cleanup --all}). */
    public int removeEveryManaged() {
        List<Container> all = docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(Containers.MANAGED, "true")).exec();
        all.forEach(c -> containers.remove(c.getId()));
        return all.size();
    }

    /** Closes the Docker client only (for one-shot commands). */
    public void closeClient() {
        try {
            docker.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "docker client close", e);
        }
    }

    private List<Container> ownContainers() {
        return docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(Containers.MANAGED, "true", Containers.INSTANCE, instanceId)).exec();
    }

    @Override
    public void close() {
        closed = true;
        pool.close();
        try {
            removeAll();
        } catch (RuntimeException e) {
            LOG.warning("could not remove this instance's containers: " + e.getMessage());
        }
        background.shutdown();
        try {
            background.awaitTermination(5, TimeUnit.SECONDS);
            docker.close();
        } catch (IOException | InterruptedException e) {
            LOG.log(Level.FINE, "docker client close", e);
        }
    }

    Telemetry telemetry() {
        return telemetry;
    }

    Isol8Exception.Unavailable unavailable(RuntimeException e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String detail = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return Isol8Exception.Unavailable.engineUnreachable(endpoint.host(), detail, e);
    }
}
