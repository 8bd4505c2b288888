package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.api.model.Ulimit;
import io.isol8.config.Isol8Config;
import io.isol8.core.ContainerSettings;
import io.isol8.core.Network;
import io.isol8.core.Language;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Creates hardened, labelled containers (sandbox.md §10, §11.1) and removes them. */
public final class Containers {
    static final String MANAGED = "io.isol8.managed";
    static final String INSTANCE = "io.isol8.instance";
    static final String KIND = "io.isol8.kind";

    /** The base environment of every container and phase (sandbox.md §4). */
    public static final Map<String, String> BASE_ENV = baseEnv();

    /** Where every runtime image carries the agent (sandbox.md §15.1), and the label that says it does. */
    public static final String AGENT_PATH = "/usr/local/bin/isol8-agent";
    public static final String AGENT_LABEL = "io.isol8.agent";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final DockerClient docker;
    private final String instanceId;
    private final String version;
    private volatile String filteredNetwork;

    Containers(DockerClient docker, String instanceId, String version) {
        this.docker = docker;
        this.instanceId = instanceId;
        this.version = version;
    }

    /** The Docker network that {@code filtered} containers join (null: none configured). */
    void filteredNetwork(String name) {
        this.filteredNetwork = name;
    }

    /** Labels and ownership of a container. */
    record Owner(String kind, Language runtime, String session, String principal) {
        static Owner of(String kind, Language runtime) {
            return new Owner(kind, runtime, null, null);
        }
    }

    /**
     * Creates and starts a container; returns its id. Docker's failures are thrown as they are (a 404 means
     * the image is missing); {@link DockerFailures#creating} translates them.
     */
    String createAndStart(ContainerSettings s, Owner owner) {
        String id = create(s, owner, Isol8Config.Executor.EXEC);
        start(docker, id);
        return id;
    }

    /** Creates (does not start) a container for {@code executor}; returns its id. Failures as they are. */
    String create(ContainerSettings s, Owner owner, Isol8Config.Executor executor) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(MANAGED, "true");
        labels.put(INSTANCE, instanceId);
        labels.put(KIND, owner.kind());
        labels.put("io.isol8.runtime", owner.runtime().wireName());
        if (owner.session() != null) {
            labels.put("io.isol8.session", owner.session());
            labels.put("io.isol8.principal", owner.principal());
        }
        labels.put("io.isol8.version", version);
        CreateContainerCmd create = hardened(docker, s, "isol8-" + owner.kind() + "-"
                + HexFormat.of().formatHex(randomBytes()), labels, executor);
        if (s.network() == Network.FILTERED) {
            if (filteredNetwork == null) {
                throw new IllegalStateException("no filtered network is configured");
            }
            // the internal network of the egress proxy; no IPv6 inside (link-local would reach the host)
            create.getHostConfig().withNetworkMode(filteredNetwork)
                    .withSysctls(Map.of("net.ipv6.conf.all.disable_ipv6", "1",
                            "net.ipv6.conf.default.disable_ipv6", "1"));
        }
        return create.exec().getId();
    }

    /** Starts a created container; if that fails, force-removes it and rethrows. */
    public static void start(DockerClient docker, String id) {
        try {
            docker.startContainerCmd(id).exec();
        } catch (RuntimeException e) {
            remove(docker, id);
            throw e;
        }
    }

    /**
     * A create command for a container with every hardening setting of sandbox.md §10 (not yet executed).
     * The one place that shapes sandbox containers: the server, {@code isol8 setup}'s smoke test and the
     * benchmark floor all use it.
     */
    public static CreateContainerCmd hardened(DockerClient docker, ContainerSettings s, String name,
                                              Map<String, String> labels) {
        return hardened(docker, s, name, labels, Isol8Config.Executor.EXEC);
    }

    /**
     * The same for {@code executor}: with the agent, {@code /usr/local/bin/isol8-agent} is the entrypoint (no
     * command, no tini) and stdin stays open for the attach stream that carries the agent's channel (sandbox.md
     * §15.2); with exec, tini keeps {@code sleep infinity} as the container's only process.
     */
    public static CreateContainerCmd hardened(DockerClient docker, ContainerSettings s, String name,
                                              Map<String, String> labels, Isol8Config.Executor executor) {
        Map<String, String> tmpfs = Map.of(
                "/sandbox", "rw,exec,nosuid,nodev,size=" + s.sandboxBytes() + ",uid=1000,gid=1000,mode=0755",
                "/tmp", "rw,noexec,nosuid,nodev,size=" + s.tmpBytes() + ",mode=1777");
        HostConfig host = HostConfig.newHostConfig()
                .withNetworkMode(s.network().wireName())
                .withReadonlyRootfs(s.readonlyRootFs())
                .withTmpFs(tmpfs)
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withMemory(s.memoryBytes())
                .withMemorySwap(s.memoryBytes())
                .withNanoCPUs(Math.round(s.cpus() * 1e9))
                .withPidsLimit(s.pidsLimit())
                .withUlimits(List.of(new Ulimit("nofile", 1024L, 1024L), new Ulimit("core", 0L, 0L)))
                .withOomScoreAdj(1000)
                .withIpcMode("private")
                .withPrivileged(false)
                .withInit(false)
                .withLogConfig(new LogConfig(LogConfig.LoggingType.NONE))
                .withRestartPolicy(RestartPolicy.noRestart())
                .withAutoRemove(false);
        CreateContainerCmd create = docker.createContainerCmd(s.image()).withName(name);
        if (executor == Isol8Config.Executor.AGENT) {
            create.withEntrypoint(AGENT_PATH).withCmd(List.of())
                    .withStdinOpen(true).withStdInOnce(false)
                    .withAttachStdin(true).withAttachStdout(true).withAttachStderr(true).withTty(false);
        } else {
            create.withEntrypoint("/usr/bin/tini", "--").withCmd("sleep", "infinity");
        }
        return create
                .withUser(ExecRunner.USER)
                .withWorkingDir("/sandbox")
                .withEnv(env(BASE_ENV))
                .withHostName("sandbox")
                .withLabels(labels)
                .withNetworkDisabled(s.network() == Network.NONE)
                .withHostConfig(host);
    }

    /** Force-removes a container; "already gone" is success. */
    void remove(String id) {
        remove(docker, id);
    }

    /** Force-removes a container; "already gone" and "removal already in progress" are success. */
    public static void remove(DockerClient docker, String id) {
        try {
            docker.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException | ConflictException e) {
            // already gone or going
        }
    }

    public static List<String> env(Map<String, String> vars) {
        return vars.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return b;
    }

    private static Map<String, String> baseEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/sandbox/.local/bin:/sandbox/.npm-global/bin:/sandbox/.bun-global/bin:"
                + "/sandbox/node_modules/.bin:/usr/local/bin:/usr/bin:/bin");
        env.put("HOME", "/sandbox");
        env.put("LANG", "C.UTF-8");
        env.put("TMPDIR", "/tmp");
        env.put("PYTHONUNBUFFERED", "1");
        env.put("PYTHONUSERBASE", "/sandbox/.local");
        env.put("NPM_CONFIG_PREFIX", "/sandbox/.npm-global");
        env.put("NPM_CONFIG_CACHE", "/sandbox/.npm-cache");
        env.put("NODE_PATH", "/usr/local/lib/node_modules:/sandbox/.npm-global/lib/node_modules:/sandbox/node_modules");
        env.put("DENO_DIR", "/sandbox/.deno");
        env.put("DENO_NO_UPDATE_CHECK", "1");
        env.put("BUN_INSTALL_CACHE_DIR", "/sandbox/.bun-cache");
        env.put("BUN_INSTALL_GLOBAL_DIR", "/sandbox/.bun-global");
        env.put("BUN_INSTALL_BIN", "/sandbox/.bun-global/bin");
        return java.util.Collections.unmodifiableMap(env);
    }
}
