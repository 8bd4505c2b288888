package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import io.isol8.config.Isol8Config;
import io.isol8.core.ContainerSettings;
import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception;
import io.isol8.core.Cidr;
import io.isol8.core.Language;
import io.isol8.core.Network;
import io.isol8.engine.Engine;
import io.isol8.engine.Sandbox;
import io.isol8.engine.Telemetry;
import io.isol8.engine.egress.AddressRules;
import io.isol8.engine.egress.CodeFetcher;
import io.isol8.engine.egress.Dialer;
import io.isol8.engine.egress.EgressLimits;
import io.isol8.engine.egress.EgressProxy;
import io.isol8.engine.egress.Grant;
import io.isol8.engine.egress.Resolver;

import java.io.IOException;
import java.net.InetAddress;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
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
    private static final long CPUS_RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long ATTACH_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long HELLO_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Isol8Config config;
    private final String endpoint;
    private final DockerClient docker;
    private final Containers containers;
    private final ExecRunner execs;
    private final WarmPool<Language> pool;
    /** Warm containers of package images ({@code pool.images}), keyed by the image reference. */
    private final WarmPool<String> packagePool;
    /** The image id each idle package-image container was created from. */
    private final Map<String, String> warmImages = new ConcurrentHashMap<>();
    private final DockerFailures failures;
    private final EngineProbe probe;
    private final Reaper reaper;
    private final Map<Language, ContainerSettings> defaults = new EnumMap<>(Language.class);
    private final Telemetry telemetry;
    private final Isol8Config.Executor executor;
    private final Installs installs;
    /** The agent channel of every live container this engine started with the agent executor. */
    private final Map<String, AgentChannel> channels = new ConcurrentHashMap<>();
    /** The filtered network and its proxy; null when {@code limits.allowedNetworks} does not list it. */
    private final FilteredNetwork filtered;
    /** The egress grant of every live filtered container. */
    private final Map<String, Grant> grants = new ConcurrentHashMap<>();
    private final Optional<CodeFetcher> codeFetcher;
    private final PackageImages packageImages;
    private volatile boolean swept;
    private volatile boolean closed;
    private volatile int hostCpus;
    private volatile long cpusAskedAt = Long.MIN_VALUE / 2;

    /**
     * Connects lazily; the start-up sweep and the pool start in the background (see {@link #start()}).
     *
     * @param instanceId the resolved instance id (labels)
     * @param version    the server version (labels)
     * @param telemetry  receives pool, container and error events
     */
    public DockerEngine(Isol8Config config, String instanceId, String version, Telemetry telemetry) {
        this(config, instanceId, version, telemetry, Resolver.SYSTEM, Dialer.TCP);
    }

    /**
     * The same with the egress proxy's resolver and dialer (tests name their own upstreams and record what would
     * leave the machine).
     */
    public DockerEngine(Isol8Config config, String instanceId, String version, Telemetry telemetry,
                        Resolver resolver, Dialer dialer) {
        this.config = config;
        this.telemetry = telemetry;
        this.executor = config.engine().executor();
        this.installs = new Installs(config.packages());
        EngineEndpoint engine = EngineEndpoint.of(config);
        this.endpoint = engine.host();
        RenewableTransport transport = engine.transport(1000);
        this.docker = engine.client(transport);
        try {
            engine.verify(docker);
        } catch (RuntimeException e) {
            closeClient();
            throw e;
        }
        this.containers = new Containers(docker, instanceId, version);
        this.failures = new DockerFailures(docker, endpoint, telemetry);
        this.execs = new ExecRunner(docker, failures);
        this.probe = new EngineProbe(docker, config.images(), executor == Isol8Config.Executor.AGENT, transport::renew);
        this.reaper = new Reaper(docker, containers, failures, telemetry, instanceId);
        Map<Language, Integer> sizes = new EnumMap<>(Language.class);
        for (Language r : Language.values()) {
            defaults.put(r, defaultSettings(config, r));
            sizes.put(r, config.pool().sizeOf(r));
        }
        this.pool = new WarmPool<>(sizes, this::createWarm, this::discard);
        this.packagePool = new WarmPool<>(config.pool().imageSizes(), this::createWarmPackaged, this::discard);
        this.filtered = config.limits().allowedNetworks().contains(Network.FILTERED)
                ? new FilteredNetwork(docker, instanceId, endpoint.startsWith("unix://"),
                egressProxy(config, telemetry, resolver, dialer), 0)
                : null;
        this.containers.filteredNetwork(filtered == null ? null : filtered.name());
        this.packageImages = new PackageImages(docker, config.images(), System::nanoTime);
        Isol8Config.RemoteCode remote = config.remoteCode();
        this.codeFetcher = remote.enabled()
                ? Optional.of(new CodeFetcher(AddressRules.of(config.network().allowPrivate().stream()
                .map(c -> Cidr.parse(c).orElseThrow()).toList()), remote.allowedHosts(), remote.allowInsecure(),
                remote.maxCodeBytes(), remote.fetchTimeoutMs(), resolver, dialer))
                : Optional.empty();
    }

    @Override
    public Optional<CodeFetcher> codeFetcher() {
        return codeFetcher;
    }

    private static EgressProxy egressProxy(Isol8Config config, Telemetry telemetry, Resolver resolver, Dialer dialer) {
        Isol8Config.Egress n = config.network();
        EgressLimits limits = new EgressLimits(n.maxConnections(), n.maxBytes(), (int) n.connectTimeoutMs(),
                (int) n.idleTimeoutMs(), (int) n.headerTimeoutMs(), n.maxTotalConnections(), 1000);
        List<Cidr> allowPrivate = n.allowPrivate().stream().map(c -> Cidr.parse(c).orElseThrow()).toList();
        return new EgressProxy(limits, AddressRules.of(allowPrivate), config.limits().allowedHosts(), resolver,
                dialer, telemetry);
    }

    /** The container settings of a request that overrides nothing. */
    public static ContainerSettings defaultSettings(Isol8Config config, Language runtime) {
        var d = config.defaults();
        return new ContainerSettings(config.images().of(runtime), d.memoryLimit(), d.cpuLimit(), d.pidsLimit(),
                d.sandboxSize(), d.tmpSize(), d.network(), true);
    }

    /** Starts the sweep (retrying while Docker is unreachable) and then the warm pool, in the background. */
    public void start() {
        Thread.ofVirtual().name("isol8-sweep").start(() -> {
            while (!closed) {
                try {
                    reaper.sweep();
                    swept = true;
                    hostCpus();
                    pool.start();
                    packagePool.start();
                    prepareFiltered();
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

    /**
     * Sets up the filtered network ahead of its first request, so a host where it cannot work says so at start-up
     * (requests then get 503 with the same reason; nothing else is affected).
     */
    private void prepareFiltered() {
        if (filtered == null) {
            return;
        }
        try {
            filtered.ensure();
        } catch (RuntimeException e) {
            LOG.warning("the filtered network is not available: " + e.getMessage());
        }
    }

    @Override
    public Sandbox ephemeral(ExecutionSpec spec) {
        probe.ensureImage(spec);
        Optional<PackageImages.Listed> packaged = packageImage(spec);
        if (packaged.isPresent()) {
            Optional<String> warm = takePackaged(spec, packaged.get());
            if (warm.isPresent()) {
                return packaged(new DockerSandbox(warm.get(), spawner(warm.get()), maxFileBytes(), id -> {
                    discard(id);
                    packagePool.refill();
                }, true, packagePool::discardIdle, installs), packaged.get());
            }
            String id = create(withImage(spec.container(), packaged.get().id()),
                    Containers.Owner.of("ephemeral", spec.runtime()));
            return packaged(sandbox(id, true), packaged.get());
        }
        if (WarmPool.eligible(spec.container(), defaults.get(spec.runtime()))) {
            Optional<String> warm = pool.take(spec.runtime());
            telemetry.poolRequest(spec.runtime(), warm.isPresent());
            if (warm.isPresent()) {
                return new DockerSandbox(warm.get(), spawner(warm.get()), maxFileBytes(), id -> {
                    discard(id);
                    pool.refill();
                }, true, pool::discardIdle, installs);
            }
        }
        return sandbox(create(spec.container(), Containers.Owner.of("ephemeral", spec.runtime())), true);
    }

    @Override
    public Sandbox session(ExecutionSpec spec, String principal, String sessionId) {
        probe.ensureImage(spec);
        Optional<PackageImages.Listed> packaged = packageImage(spec);
        ContainerSettings settings = packaged.map(p -> withImage(spec.container(), p.id())).orElse(spec.container());
        String id = create(settings, new Containers.Owner("session", spec.runtime(), sessionId, principal));
        return packaged.map(p -> packaged(sandbox(id, false), p)).orElseGet(() -> sandbox(id, false));
    }

    @Override
    public boolean packageImageCovers(Language runtime, List<String> packages) {
        try {
            return packageImages.choose(runtime, packages).isPresent();
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "listing package images failed", e);
            return false;
        }
    }

    /**
     * The package image that holds a request's {@code installPackages}, if the request runs the configured runtime
     * image. Without one, a request on network {@code none} is refused as the parser refuses it (the image may
     * have gone since).
     */
    private Optional<PackageImages.Listed> packageImage(ExecutionSpec spec) {
        if (spec.installPackages().isEmpty() || !spec.container().image().equals(config.images().of(spec.runtime()))) {
            return Optional.empty();
        }
        Optional<PackageImages.Listed> chosen;
        try {
            chosen = packageImages.choose(spec.runtime(), spec.installPackages());
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "listing package images failed", e);
            chosen = Optional.empty();
        }
        if (chosen.isEmpty() && spec.container().network() == Network.NONE) {
            throw new Isol8Exception.BadRequest("request.installPackages needs network access, but this execution "
                    + "runs with network \"none\"");
        }
        chosen.ifPresent(p -> LOG.fine(() -> "package image " + p.name() + " holds " + spec.installPackages()));
        return chosen;
    }

    private static Sandbox packaged(Sandbox sandbox, PackageImages.Listed image) {
        return new PackagedSandbox(sandbox, image.packages(), image.runtime() == Language.DENO
                ? Map.of("DENO_DIR", PackageImages.DENO_DIR) : Map.of());
    }

    private static ContainerSettings withImage(ContainerSettings s, String image) {
        return new ContainerSettings(image, s.memoryBytes(), s.cpus(), s.pidsLimit(), s.sandboxBytes(), s.tmpBytes(),
                s.network(), s.readonlyRootFs(), s.filter());
    }

    private Sandbox sandbox(String id, boolean removeOnClose) {
        Grant grant = grants.get(id);
        DockerSandbox sandbox = new DockerSandbox(id, spawner(id), maxFileBytes(), this::discard, removeOnClose,
                () -> { }, installs);
        return grant == null ? sandbox : new FilteredSandbox(sandbox, grant, removeOnClose);
    }

    /** How programs start in container {@code id}: over its agent channel, or one docker exec each. */
    private Spawner spawner(String id) {
        Spawner spawner;
        if (executor == Isol8Config.Executor.EXEC) {
            spawner = new ExecSpawner(id, execs);
        } else {
            AgentChannel channel = channels.get(id);
            spawner = new AgentSpawner(channel != null ? channel : AgentChannel.gone(id));
        }
        Grant grant = grants.get(id);
        return grant != null ? new ProxiedSpawner(spawner, filtered.ensure().env(), grant, installs) : spawner;
    }

    /** Creates and starts a container on the request path; Docker's failures become 503s. */
    private String create(ContainerSettings settings, Containers.Owner owner) {
        if (settings.network() == Network.FILTERED) {
            return createFiltered(settings, owner);
        }
        try {
            return timedCreate(settings, owner);
        } catch (RuntimeException e) {
            throw failures.creating(settings.image(), owner.runtime(), e);
        }
    }

    /**
     * A container on the filtered network whose address holds an egress grant with the settings' filter before any
     * program runs. Without the network, the proxy or the grant there is no container (fails closed).
     */
    private String createFiltered(ContainerSettings settings, Containers.Owner owner) {
        if (filtered == null) {
            throw new Isol8Exception.BadRequest("options.network \"filtered\" is not allowed by this server");
        }
        try {
            filtered.ensure();
        } catch (Isol8Exception e) {
            throw e;
        } catch (RuntimeException e) {
            throw failures.engine("network", e);
        }
        String id;
        try {
            id = timedCreate(settings, owner);
        } catch (RuntimeException e) {
            throw failures.creating(settings.image(), owner.runtime(), e);
        }
        try {
            InetAddress address = filtered.addressOf(id);
            // Docker gave this address to the new container, so any other holder of it has stopped: its grant is stale
            grants.entrySet().stream().filter(e -> e.getValue().client().equals(address)).map(Map.Entry::getKey)
                    .toList().forEach(this::discard);
            grants.put(id, egress().grant(address, settings.filter()));
            return id;
        } catch (RuntimeException e) {
            discard(id);
            throw e instanceof Isol8Exception ? e : failures.engine("inspect", e);
        }
    }

    private EgressProxy egress() {
        return filtered.proxy();
    }

    private String timedCreate(ContainerSettings settings, Containers.Owner owner) {
        long start = System.nanoTime();
        String id = executor == Isol8Config.Executor.AGENT ? createWithAgent(settings, owner)
                : containers.createAndStart(settings, owner);
        telemetry.containerStarted((System.nanoTime() - start) / 1e9);
        LOG.fine(() -> "created " + owner.kind() + " container " + id.substring(0, 12) + " for "
                + owner.runtime().wireName() + " in " + (System.nanoTime() - start) / 1_000_000 + "ms");
        return id;
    }

    /**
     * Creates the container, attaches its channel before starting it (nothing the agent writes is missed), starts
     * it and waits for the agent's hello. On failure the container is removed.
     */
    private String createWithAgent(ContainerSettings settings, Containers.Owner owner) {
        String id = containers.create(settings, owner, executor);
        AgentChannel channel = null;
        try {
            channel = AgentChannel.attach(docker, id, ATTACH_NANOS, lost -> {
                channels.remove(lost.containerId(), lost);
                LOG.fine(() -> "agent channel of " + lost.containerId().substring(0, 12) + " lost: " + lost.lostReason());
            });
            channels.put(id, channel);
            Containers.start(docker, id);
            channel.awaitHello(HELLO_NANOS);
            return id;
        } catch (RuntimeException e) {
            if (channel != null) {
                channels.remove(id, channel);
                channel.close();
            }
            containers.remove(id);
            throw e;
        }
    }

    /** The pool's creations: failures are logged by the pool and retried later, not counted as errors. */
    private String createWarm(Language runtime) {
        return timedCreate(defaults.get(runtime), Containers.Owner.of("warm", runtime));
    }

    /** A warm container of the package image {@code reference} ({@code pool.images}), as the pool creates it. */
    private String createWarmPackaged(String reference) {
        PackageImages.Listed image = packageImages.current(reference).orElseThrow(() -> new IllegalStateException(
                "pool.images names " + reference + ", which is not an up-to-date package image"));
        String id = timedCreate(withImage(defaults.get(image.runtime()), image.id()),
                Containers.Owner.of("warm", image.runtime()));
        warmImages.put(id, image.id());
        return id;
    }

    /**
     * A warm container of {@code image} for a request with the default settings, if {@code pool.images} keeps one
     * under one of its tags; one left from before the tag moved to a rebuilt image is removed instead.
     */
    private Optional<String> takePackaged(ExecutionSpec spec, PackageImages.Listed image) {
        if (!WarmPool.eligible(spec.container(), defaults.get(spec.runtime()))) {
            return Optional.empty();
        }
        for (String reference : config.pool().imageSizes().keySet()) {
            if (!image.tags().contains(PackageImages.withTag(reference))) {
                continue;
            }
            Optional<String> warm = packagePool.take(reference);
            telemetry.poolRequest(spec.runtime(), warm.isPresent());
            if (warm.isPresent() && !image.id().equals(warmImages.remove(warm.get()))) {
                discard(warm.get());
                return Optional.empty();
            }
            return warm;
        }
        return Optional.empty();
    }

    @Override
    public void discard(String containerId) {
        warmImages.remove(containerId);
        Grant grant = grants.remove(containerId);
        if (grant != null) {
            grant.close();
        }
        AgentChannel channel = channels.remove(containerId);
        if (channel != null) {
            channel.close();
        }
        reaper.discard(containerId);
    }

    private long maxFileBytes() {
        return config.limits().maxFileBytes();
    }

    @Override
    public boolean reachable() {
        return probe.reachable();
    }

    @Override
    public Map<Language, Boolean> images() {
        return probe.images();
    }

    @Override
    public Optional<String> imageProblem() {
        return probe.agentMissing().map(image -> "Image " + image + " has no isol8-agent of protocol "
                + io.isol8.engine.agent.Frames.VERSION + " (label " + Containers.AGENT_LABEL + "="
                + io.isol8.engine.agent.Frames.VERSION + "), which engine.executor: agent needs. Run `isol8 setup` "
                + "to rebuild the images, or set engine.executor: exec.");
    }

    @Override
    public boolean interactive() {
        return executor == Isol8Config.Executor.AGENT;
    }

    /** The executor this engine runs programs with. */
    public Isol8Config.Executor executor() {
        return executor;
    }

    /** The agent channel of a container started by this engine (tests: fault injection). */
    Optional<AgentChannel> channel(String containerId) {
        return Optional.ofNullable(channels.get(containerId));
    }

    @Override
    public Map<Language, Integer> poolIdle() {
        return pool.idleCounts();
    }

    @Override
    public String endpoint() {
        return endpoint;
    }

    @Override
    public boolean swept() {
        return swept;
    }

    /**
     * Removes every container of this instance, several at once, bounded to about 10 s.
     *
     * @throws Isol8Exception.Unavailable Docker does not answer
     */
    public int removeAll() {
        return reaper.removeAll();
    }

    /**
     * Removes every isol8-managed container of any instance ({@code isol8 cleanup --all}).
     *
     * @throws Isol8Exception.Unavailable Docker does not answer
     */
    public int removeEveryManaged() {
        return reaper.removeEveryManaged();
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

    /** Closes the Docker client only (for one-shot commands). */
    public void closeClient() {
        try {
            docker.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "docker client close", e);
        }
    }

    /**
     * Stops the pool, removes this instance's containers (sandbox.md §11.3), waits for background removals
     * and closes the client.
     */
    @Override
    public void close() {
        closed = true;
        pool.close();
        packagePool.close();
        try {
            removeAll();
        } catch (RuntimeException e) {
            LOG.warning("could not remove this instance's containers: " + e.getMessage());
        }
        reaper.close();
        channels.values().forEach(AgentChannel::close);
        channels.clear();
        grants.values().forEach(Grant::close);
        grants.clear();
        if (filtered != null) {
            filtered.close();
        }
        closeClient();
    }
}
