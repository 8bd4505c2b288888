package io.isol8.config;

import io.isol8.core.Network;
import io.isol8.core.Language;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The validated server configuration (config.md §4). Immutable; built by {@link ConfigLoader}.
 *
 * @param port           the {@code port} key (lowest precedence of the listen port)
 * @param instanceId     the configured instance id; empty means {@code <hostname>-<port>}
 * @param source         where it came from: an absolute file path, or {@code built-in defaults}
 * @param engine         {@code engine.*}: how programs are run inside containers
 * @param quotas         {@code quotas.*}: per-tenant defaults (a tenant's own values in the key store win)
 * @param audit          {@code audit.*}: the audit log of executions and key events
 * @param network        {@code network.*}: the egress proxy of the {@code filtered} network
 * @param remoteCode     {@code remoteCode.*}: whether and how the server fetches {@code request.codeUrl}
 * @param packages       {@code packages.*}: where package installs may go and which mirrors they use
 */
public record Isol8Config(int port, String instanceId, int maxConcurrent, int maxQueued, long queueTimeoutMs,
                          Defaults defaults, Limits limits, Cleanup cleanup, Pool pool, Images images,
                          Docker docker, Auth auth, String source, Engine engine, Quotas quotas, Audit audit,
                          Egress network, RemoteCode remoteCode, Packages packages) {

    /** A configuration with the built-in {@code packages.*} keys. */
    public Isol8Config(int port, String instanceId, int maxConcurrent, int maxQueued, long queueTimeoutMs,
                       Defaults defaults, Limits limits, Cleanup cleanup, Pool pool, Images images,
                       Docker docker, Auth auth, String source, Engine engine, Quotas quotas, Audit audit,
                       Egress network, RemoteCode remoteCode) {
        this(port, instanceId, maxConcurrent, maxQueued, queueTimeoutMs, defaults, limits, cleanup, pool, images,
                docker, auth, source, engine, quotas, audit, network, remoteCode, Packages.BUILT_IN);
    }

    /** A configuration with the built-in {@code network.*} and {@code remoteCode.*} keys. */
    public Isol8Config(int port, String instanceId, int maxConcurrent, int maxQueued, long queueTimeoutMs,
                       Defaults defaults, Limits limits, Cleanup cleanup, Pool pool, Images images,
                       Docker docker, Auth auth, String source, Engine engine, Quotas quotas, Audit audit) {
        this(port, instanceId, maxConcurrent, maxQueued, queueTimeoutMs, defaults, limits, cleanup, pool, images,
                docker, auth, source, engine, quotas, audit, Egress.BUILT_IN, RemoteCode.BUILT_IN);
    }

    /** A configuration with the built-in {@code quotas.*} and {@code audit.*} keys. */
    public Isol8Config(int port, String instanceId, int maxConcurrent, int maxQueued, long queueTimeoutMs,
                       Defaults defaults, Limits limits, Cleanup cleanup, Pool pool, Images images,
                       Docker docker, Auth auth, String source, Engine engine, Egress network,
                       RemoteCode remoteCode) {
        this(port, instanceId, maxConcurrent, maxQueued, queueTimeoutMs, defaults, limits, cleanup, pool, images,
                docker, auth, source, engine, Quotas.NONE, Audit.OFF, network, remoteCode);
    }

    /** A configuration with the built-in {@code quotas.*}, {@code audit.*} and {@code remoteCode.*} keys. */
    public Isol8Config(int port, String instanceId, int maxConcurrent, int maxQueued, long queueTimeoutMs,
                       Defaults defaults, Limits limits, Cleanup cleanup, Pool pool, Images images,
                       Docker docker, Auth auth, String source, Engine engine, Egress network) {
        this(port, instanceId, maxConcurrent, maxQueued, queueTimeoutMs, defaults, limits, cleanup, pool, images,
                docker, auth, source, engine, network, RemoteCode.BUILT_IN);
    }

    /** A configuration with the built-in keys from {@code quotas.*} on. */
    public Isol8Config(int port, String instanceId, int maxConcurrent, int maxQueued, long queueTimeoutMs,
                       Defaults defaults, Limits limits, Cleanup cleanup, Pool pool, Images images,
                       Docker docker, Auth auth, String source, Engine engine) {
        this(port, instanceId, maxConcurrent, maxQueued, queueTimeoutMs, defaults, limits, cleanup, pool, images,
                docker, auth, source, engine, Quotas.NONE, Audit.OFF, Egress.BUILT_IN, RemoteCode.BUILT_IN);
    }

    /** A configuration with the built-in {@code engine.*} keys. */
    public Isol8Config(int port, String instanceId, int maxConcurrent, int maxQueued, long queueTimeoutMs,
                       Defaults defaults, Limits limits, Cleanup cleanup, Pool pool, Images images,
                       Docker docker, Auth auth, String source) {
        this(port, instanceId, maxConcurrent, maxQueued, queueTimeoutMs, defaults, limits, cleanup, pool, images,
                docker, auth, source, new Engine(Executor.AGENT));
    }

    /** The same configuration with another {@code engine.executor}. */
    public Isol8Config withExecutor(Executor executor) {
        return new Isol8Config(port, instanceId, maxConcurrent, maxQueued, queueTimeoutMs, defaults, limits, cleanup,
                pool, images, docker, auth, source, new Engine(executor), quotas, audit, network, remoteCode,
                packages);
    }

    /** The same configuration with other {@code auth.*}, {@code quotas.*} and {@code audit.*} keys. */
    public Isol8Config withTenancy(Auth auth, Quotas quotas, Audit audit) {
        return new Isol8Config(port, instanceId, maxConcurrent, maxQueued, queueTimeoutMs, defaults, limits, cleanup,
                pool, images, docker, auth, source, engine, quotas, audit, network, remoteCode, packages);
    }

    /** The same configuration with other {@code limits}. */
    public Isol8Config withLimits(Limits other) {
        return new Isol8Config(port, instanceId, maxConcurrent, maxQueued, queueTimeoutMs, defaults, other, cleanup,
                pool, images, docker, auth, source, engine, quotas, audit, network, remoteCode, packages);
    }

    /** The same configuration with other {@code network.*} keys. */
    public Isol8Config withNetwork(Egress other) {
        return new Isol8Config(port, instanceId, maxConcurrent, maxQueued, queueTimeoutMs, defaults, limits, cleanup,
                pool, images, docker, auth, source, engine, quotas, audit, other, remoteCode, packages);
    }

    /** The same configuration with other {@code remoteCode.*} keys. */
    public Isol8Config withRemoteCode(RemoteCode other) {
        return new Isol8Config(port, instanceId, maxConcurrent, maxQueued, queueTimeoutMs, defaults, limits, cleanup,
                pool, images, docker, auth, source, engine, quotas, audit, network, other, packages);
    }

    /** The same configuration with other {@code packages.*} keys. */
    public Isol8Config withPackages(Packages other) {
        return new Isol8Config(port, instanceId, maxConcurrent, maxQueued, queueTimeoutMs, defaults, limits, cleanup,
                pool, images, docker, auth, source, engine, quotas, audit, network, remoteCode, other);
    }

    /**
     * {@code remoteCode.*}: whether the server fetches {@code request.codeUrl} itself, and within which bounds.
     *
     * @param enabled        off by default: {@code codeUrl} is then refused
     * @param allowedHosts   regular expressions a URL's host must match (empty: any public host)
     * @param allowInsecure  whether plain {@code http://} URLs may be fetched (a request must also ask for it)
     * @param maxCodeBytes   largest code accepted
     * @param fetchTimeoutMs for the whole fetch, redirects included
     * @param requireHash    whether {@code request.codeHash} is mandatory
     */
    public record RemoteCode(boolean enabled, List<String> allowedHosts, boolean allowInsecure, long maxCodeBytes,
                             long fetchTimeoutMs, boolean requireHash) {
        public static final RemoteCode BUILT_IN = new RemoteCode(false, List.of(), false, 1L << 20, 10_000, false);

        public RemoteCode {
            allowedHosts = List.copyOf(allowedHosts);
        }
    }

    /** Built-in defaults of every key. */
    public static Isol8Config builtIn() {
        return new Isol8Config(3000, "", 10, 100, 30_000,
                new Defaults(Network.NONE, 512L << 20, 1.0, 30_000, 512L << 20, 256L << 20, 64, 1_048_576),
                new Limits(300_000, 2L << 30, 2.0, 2L << 30, 1L << 30, 256, 10_485_760, Set.of(Network.NONE),
                        false, List.of(), 16_777_216, 67_108_864, 100, 8),
                new Cleanup(true, 3_600_000, 60_000),
                new Pool(true, Map.of(Language.PYTHON, 2, Language.NODE, 2, Language.BUN, 2, Language.DENO, 2,
                        Language.BASH, 2)),
                new Images("debian:bookworm-slim", Map.of(Language.PYTHON, "isol8:python", Language.NODE,
                        "isol8:node", Language.BUN, "isol8:bun", Language.DENO, "isol8:deno", Language.BASH,
                        "isol8:bash")),
                new Docker("", "", false), new Auth(List.of()), "built-in defaults");
    }

    /** {@code defaults.*}: applied to every execution. Sizes in bytes. */
    public record Defaults(Network network, long memoryLimit, double cpuLimit, long timeoutMs, long sandboxSize,
                           long tmpSize, long pidsLimit, long maxOutputSize) { }

    /** {@code limits.*}: ceilings and isolation policy. Sizes in bytes. */
    public record Limits(long timeoutMs, long memoryLimit, double cpuLimit, long sandboxSize, long tmpSize,
                         long pidsLimit, long maxOutputSize, Set<Network> allowedNetworks,
                         boolean allowWritableRootFs, List<String> allowedImages, long maxRequestBytes,
                         long maxFileBytes, int maxSessions, int maxSessionQueue, List<String> allowedHosts) {
        public Limits {
            allowedNetworks = Set.copyOf(allowedNetworks);
            allowedImages = List.copyOf(allowedImages);
            allowedHosts = List.copyOf(allowedHosts);
        }

        /** Limits without {@code allowedHosts} (any public host). */
        public Limits(long timeoutMs, long memoryLimit, double cpuLimit, long sandboxSize, long tmpSize,
                      long pidsLimit, long maxOutputSize, Set<Network> allowedNetworks,
                      boolean allowWritableRootFs, List<String> allowedImages, long maxRequestBytes,
                      long maxFileBytes, int maxSessions, int maxSessionQueue) {
            this(timeoutMs, memoryLimit, cpuLimit, sandboxSize, tmpSize, pidsLimit, maxOutputSize, allowedNetworks,
                    allowWritableRootFs, allowedImages, maxRequestBytes, maxFileBytes, maxSessions, maxSessionQueue,
                    List.of());
        }
    }

    /**
     * {@code network.*}: the egress proxy of the {@code filtered} network.
     *
     * @param allowPrivate        ranges (CIDR) the proxy may connect to although they are private, loopback, …
     * @param maxConnections      open connections per sandbox
     * @param maxBytes            bytes in and out per sandbox (per execution; per session for a session)
     * @param connectTimeoutMs    to connect to an upstream
     * @param idleTimeoutMs       a proxied connection without traffic for this long is closed
     * @param headerTimeoutMs     for a program to send its request head to the proxy
     * @param maxTotalConnections connections the proxy holds at once, all sandboxes together
     */
    public record Egress(List<String> allowPrivate, int maxConnections, long maxBytes, long connectTimeoutMs,
                         long idleTimeoutMs, long headerTimeoutMs, int maxTotalConnections) {
        public static final Egress BUILT_IN = new Egress(List.of(), 32, 1L << 30, 10_000, 60_000, 10_000, 1024);

        public Egress {
            allowPrivate = List.copyOf(allowPrivate);
        }
    }

    /**
     * {@code packages.*}: what the install phase may reach and which mirrors its installers use.
     *
     * @param registries     per runtime, host patterns the egress proxy also allows during the install phase
     * @param pythonIndexUrl {@code packages.python.indexUrl}: pip's index (empty: pip's own default)
     * @param npmRegistry    {@code packages.npm.registry}: the npm registry of node and bun (empty: the default)
     * @param denoNpmRegistry {@code packages.deno.npmRegistry}: the npm registry of deno's {@code npm:} specifiers
     * @param caFile         a PEM bundle the installers trust instead of the image's (empty: the image's)
     */
    public record Packages(Map<Language, List<String>> registries, String pythonIndexUrl, String npmRegistry,
                           String denoNpmRegistry, String caFile) {
        /** Where the container finds {@link #caFile()} during the install phase. */
        public static final String CA_PATH = "/tmp/.isol8/install-ca.pem";
        public static final Packages BUILT_IN = new Packages(Map.of(
                Language.PYTHON, List.of("^pypi\\.org$", "^files\\.pythonhosted\\.org$"),
                Language.NODE, List.of("^registry\\.npmjs\\.org$"),
                Language.BUN, List.of("^registry\\.npmjs\\.org$"),
                Language.DENO, List.of("^registry\\.npmjs\\.org$", "^jsr\\.io$")), "", "", "", "");

        public Packages {
            registries = Map.copyOf(registries);
        }

        /** The mirror URL the installer of {@code runtime} uses; empty for its default. */
        public String mirror(Language runtime) {
            return switch (runtime) {
                case PYTHON -> pythonIndexUrl;
                case NODE, BUN -> npmRegistry;
                case DENO -> denoNpmRegistry;
                case BASH -> "";
            };
        }

        /** The installer's environment for {@code runtime}: its mirror and the CA bundle, as configured. */
        public Map<String, String> env(Language runtime) {
            Map<String, String> env = new LinkedHashMap<>();
            String mirror = mirror(runtime);
            if (!mirror.isEmpty()) {
                switch (runtime) {
                    case PYTHON -> {
                        env.put("PIP_INDEX_URL", mirror);
                        if (mirror.startsWith("http:")) { // the operator chose plain HTTP; pip would ignore the index
                            mirrorHost(runtime).ifPresent(h -> env.put("PIP_TRUSTED_HOST", h));
                        }
                    }
                    case BUN -> {
                        env.put("NPM_CONFIG_REGISTRY", mirror);
                        env.put("BUN_CONFIG_REGISTRY", mirror);
                    }
                    default -> env.put("NPM_CONFIG_REGISTRY", mirror);
                }
            }
            if (!caFile.isEmpty()) {
                for (String name : List.of("PIP_CERT", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "DENO_CERT",
                        "NPM_CONFIG_CAFILE")) {
                    env.put(name, CA_PATH);
                }
            }
            return env;
        }

        /** The host patterns the install phase of {@code runtime} may also reach: registries, then the mirror's host. */
        public List<String> hostPatterns(Language runtime) {
            List<String> patterns = new ArrayList<>(registries.getOrDefault(runtime, List.of()));
            mirrorHost(runtime).ifPresent(h -> patterns.add("^" + Pattern.quote(h) + "$"));
            return patterns;
        }

        /** The host of the configured mirror of {@code runtime}, lowercase. */
        public Optional<String> mirrorHost(Language runtime) {
            String mirror = mirror(runtime);
            if (mirror.isEmpty()) {
                return Optional.empty();
            }
            return Optional.ofNullable(URI.create(mirror).getHost()).map(h -> h.toLowerCase(Locale.ROOT));
        }
    }

    /** {@code cleanup.*}: idle session pruning. */
    public record Cleanup(boolean autoPrune, long maxContainerAgeMs, long intervalMs) { }

    /**
     * {@code pool.*}: warm containers per runtime (a runtime missing from the map has size 0) and per package image
     * ({@code pool.images}: image reference → size).
     */
    public record Pool(boolean enabled, Map<Language, Integer> size, Map<String, Integer> images) {
        public Pool {
            size = Map.copyOf(size);
            images = Map.copyOf(images);
        }

        /** A pool of runtime images only. */
        public Pool(boolean enabled, Map<Language, Integer> size) {
            this(enabled, size, Map.of());
        }

        /** The package images to keep warm and their sizes; none when the pool is disabled. */
        public Map<String, Integer> imageSizes() {
            return enabled ? images : Map.of();
        }

        public int sizeOf(Language runtime) {
            return enabled ? size.getOrDefault(runtime, 0) : 0;
        }
    }

    /**
     * {@code images.*}.
     *
     * @param base      the base image of {@code isol8 setup}
     * @param byRuntime the runtime images
     * @param prebuilt  {@code images.prebuilt}: package images {@code isol8 setup} builds after the runtime images
     */
    public record Images(String base, Map<Language, String> byRuntime, List<Prebuilt> prebuilt) {
        public Images {
            byRuntime = Map.copyOf(byRuntime);
            prebuilt = List.copyOf(prebuilt);
        }

        /** Images without package images. */
        public Images(String base, Map<Language, String> byRuntime) {
            this(base, byRuntime, List.of());
        }

        public String of(Language runtime) {
            return byRuntime.get(runtime);
        }
    }

    /**
     * One entry of {@code images.prebuilt}: a package image.
     *
     * @param packages the runtime and its validated, normalised packages
     * @param setup    absolute path of a bash script run as root after the install
     * @param tag      the image's tag
     */
    public record Prebuilt(io.isol8.core.PackageSet packages, Optional<String> setup, String tag) {
        public Prebuilt {
            java.util.Objects.requireNonNull(packages, "packages");
            java.util.Objects.requireNonNull(setup, "setup");
            java.util.Objects.requireNonNull(tag, "tag");
        }
    }

    /**
     * {@code docker.*}: where the engine is and how to reach it.
     *
     * @param host          {@code unix://...} or {@code tcp://host:port}; empty means {@code $DOCKER_HOST}, else the
     *                      local socket
     * @param tlsCertPath   {@code docker.tls.certPath}: absolute path of a folder with {@code ca.pem},
     *                      {@code cert.pem} and {@code key.pem} for a {@code tcp://} engine; empty means none
     *                      (for a host from {@code $DOCKER_HOST}: {@code $DOCKER_CERT_PATH})
     * @param allowInsecure {@code docker.allowInsecure}: whether a {@code tcp://} engine may be used without TLS
     */
    public record Docker(String host, String tlsCertPath, boolean allowInsecure) {
        /** A host without TLS material. */
        public Docker(String host) {
            this(host, "", false);
        }
    }

    /** {@code engine.*}: how programs run inside containers (sandbox.md §15.7). */
    public record Engine(Executor executor) {
        public Engine {
            java.util.Objects.requireNonNull(executor, "engine.executor");
        }
    }

    /** {@code engine.executor}: the in-container agent (sandbox.md §15) or one docker exec per phase (§3-§8). */
    public enum Executor {
        AGENT, EXEC;

        /** The configuration value: {@code agent} or {@code exec}. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** The executor named {@code text} exactly, if any. */
        public static Optional<Executor> fromWire(String text) {
            for (Executor e : values()) {
                if (e.wireName().equals(text)) {
                    return Optional.of(e);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * {@code auth.*}: extra principals and the key store.
     *
     * @param keys          {@code auth.keys}
     * @param database      {@code auth.database}: empty (no key store), a SQLite file ({@code sqlite:PATH} or a
     *                      path) or {@code postgres://…}; {@code --auth-db} overrides it
     * @param maxTtlMs      {@code auth.maxTtlMs}: the longest {@code ttlMs} a key may be created with
     * @param purgeAfterMs  {@code auth.purgeAfterMs}: expired or revoked keys are deleted this long after they
     *                      stopped working; 0 keeps every row
     */
    public record Auth(List<KeyEntry> keys, String database, long maxTtlMs, long purgeAfterMs) {
        /** 365 days. */
        public static final long DEFAULT_MAX_TTL_MS = 365L * 24 * 3600 * 1000;

        public Auth {
            keys = List.copyOf(keys);
            java.util.Objects.requireNonNull(database, "auth.database");
        }

        /** Only {@code auth.keys}; no key store. */
        public Auth(List<KeyEntry> keys) {
            this(keys, "", DEFAULT_MAX_TTL_MS, 0);
        }

        public Auth withDatabase(String database) {
            return new Auth(keys, database, maxTtlMs, purgeAfterMs);
        }
    }

    /**
     * One configured key: exactly one of {@code key} (plaintext) and {@code sha256} (lowercase hex) is present.
     *
     * @param admin {@code admin: true}: may manage keys ({@code /auth/*}) and call {@code /cleanup}
     */
    public record KeyEntry(String name, Optional<String> key, Optional<String> sha256, boolean admin) {
        public KeyEntry(String name, Optional<String> key, Optional<String> sha256) {
            this(name, key, sha256, false);
        }
    }

    /**
     * {@code quotas.*}: what one tenant may use at once; 0 means no quota. A tenant's own values, set with
     * {@code PUT /auth/tenants/{id}}, replace these.
     *
     * @param maxConcurrent     executions running or waiting at once
     * @param maxSessions       sessions alive at once
     * @param maxTimeoutMs      the highest {@code timeoutMs} a request may ask for
     * @param requestsPerMinute requests per minute (a sliding minute), every route counted
     */
    public record Quotas(int maxConcurrent, int maxSessions, long maxTimeoutMs, int requestsPerMinute) {
        public static final Quotas NONE = new Quotas(0, 0, 0, 0);
    }

    /**
     * {@code audit.*}: one JSON line per execution and per key event, in daily files.
     *
     * @param dir            folder of the files {@code audit-YYYY-MM-DD.jsonl}
     * @param retentionDays  files older than this many days are deleted (0 keeps every file)
     * @param includeCode    whether records carry the code (the hash is always there)
     * @param includeOutput  whether records carry stdout and stderr
     * @param postLogScript  empty, or an executable run with the file and the record after each record
     */
    public record Audit(boolean enabled, String dir, int retentionDays, boolean includeCode, boolean includeOutput,
                        String postLogScript) {
        public static final Audit OFF = new Audit(false, "", 30, false, false, "");
    }
}
