package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.isol8.config.ConfigException;
import io.isol8.config.Isol8Config;

import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Where the Docker engine is and how to reach it, and the one place a docker-java client is built.
 *
 * <p>The host is {@code docker.host}, else {@code $DOCKER_HOST}, else {@code unix:///var/run/docker.sock}. A
 * {@code tcp://} engine is reached over TLS with client certificates from a folder holding {@code ca.pem},
 * {@code cert.pem} and {@code key.pem}: {@code docker.tls.certPath}, else (for a host from {@code $DOCKER_HOST}
 * only) {@code $DOCKER_CERT_PATH}, or {@code ~/.docker} when {@code $DOCKER_TLS_VERIFY} is set. Without TLS
 * material a {@code tcp://} engine is refused unless {@code docker.allowInsecure} is true.
 *
 * @param host        the engine URI, {@code unix://...} or {@code tcp://host:port}
 * @param origin      where the host came from, for messages ({@code docker.host}, {@code DOCKER_HOST}, default)
 * @param tlsCertPath the TLS folder of a {@code tcp://} host; empty for a Unix socket or an insecure TCP engine
 * @param tlsOrigin   where the TLS folder came from, for messages
 */
public record EngineEndpoint(String host, String origin, Optional<Path> tlsCertPath, String tlsOrigin) {
    static final String LOCAL = "unix:///var/run/docker.sock";
    private static final List<String> TLS_FILES = List.of("ca.pem", "cert.pem", "key.pem");
    private static final Logger LOG = Logger.getLogger(EngineEndpoint.class.getName());

    /** The endpoint of {@code config}, with the process environment for the fallbacks. */
    public static EngineEndpoint of(Isol8Config config) {
        return of(config.docker(), System.getenv());
    }

    /**
     * Resolves the endpoint.
     *
     * @param env the environment ({@code DOCKER_HOST}, {@code DOCKER_CERT_PATH}, {@code DOCKER_TLS_VERIFY},
     *            {@code HOME})
     * @throws ConfigException a {@code tcp://} host without TLS material and without {@code docker.allowInsecure},
     *                         or an environment TLS folder that lacks one of its files
     */
    public static EngineEndpoint of(Isol8Config.Docker docker, Map<String, String> env) {
        if (!docker.host().isBlank()) {
            Optional<Path> tls = docker.tlsCertPath().isBlank() ? Optional.empty() : Optional.of(Path.of(docker.tlsCertPath()));
            return checked(docker.host(), "docker.host", tls, "docker.tls.certPath", docker.allowInsecure());
        }
        String fromEnv = env.getOrDefault("DOCKER_HOST", "");
        if (fromEnv.isBlank()) {
            return new EngineEndpoint(LOCAL, "default", Optional.empty(), "");
        }
        if (!docker.tlsCertPath().isBlank()) {
            return checked(fromEnv, "DOCKER_HOST", Optional.of(Path.of(docker.tlsCertPath())), "docker.tls.certPath",
                    docker.allowInsecure());
        }
        String certPath = env.getOrDefault("DOCKER_CERT_PATH", "");
        String verify = env.getOrDefault("DOCKER_TLS_VERIFY", "");
        if (!certPath.isBlank()) {
            return checked(fromEnv, "DOCKER_HOST", Optional.of(Path.of(certPath)), "DOCKER_CERT_PATH",
                    docker.allowInsecure());
        }
        if (!verify.isBlank() && !"0".equals(verify)) {
            Path home = Path.of(env.getOrDefault("HOME", System.getProperty("user.home")));
            return checked(fromEnv, "DOCKER_HOST", Optional.of(home.resolve(".docker")), "DOCKER_TLS_VERIFY (~/.docker)",
                    docker.allowInsecure());
        }
        return checked(fromEnv, "DOCKER_HOST", Optional.empty(), "", docker.allowInsecure());
    }

    private static EngineEndpoint checked(String host, String origin, Optional<Path> tls, String tlsOrigin,
                                          boolean allowInsecure) {
        if (!host.startsWith("tcp://")) {
            return new EngineEndpoint(host, origin, Optional.empty(), "");
        }
        if (tls.isEmpty()) {
            if (!allowInsecure) {
                throw new ConfigException("Docker engine " + host + " (from " + origin + ") has no TLS material: set "
                        + "docker.tls.certPath (or DOCKER_CERT_PATH), or docker.allowInsecure: true to use it without TLS");
            }
            return new EngineEndpoint(host, origin, Optional.empty(), "");
        }
        for (String file : TLS_FILES) {
            if (!Files.isReadable(tls.get().resolve(file))) {
                throw new ConfigException("Docker engine " + host + ": " + tlsOrigin + " folder " + tls.get()
                        + " has no readable " + file + " (expected ca.pem, cert.pem and key.pem)");
            }
        }
        return new EngineEndpoint(host, origin, tls, tlsOrigin);
    }

    /** Whether the engine is reached over TLS with client certificates. */
    public boolean tls() {
        return tlsCertPath.isPresent();
    }

    /**
     * A new client; the caller closes it. Builds no connection yet.
     *
     * @param maxConnections the pool size of the HTTP transport
     */
    public DockerClient open(int maxConnections) {
        return client(transport(maxConnections));
    }

    /** A client over {@code transport}; closing the client closes the transport. */
    DockerClient client(RenewableTransport transport) {
        return DockerClientImpl.getInstance(clientConfig(), transport);
    }

    /** A renewable HTTP transport to this engine with a pool of {@code maxConnections}. */
    RenewableTransport transport(int maxConnections) {
        DefaultDockerClientConfig config = clientConfig();
        return new RenewableTransport(() -> new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig())
                .maxConnections(maxConnections)
                .connectionTimeout(Duration.ofSeconds(5))
                .build());
    }

    private DefaultDockerClientConfig clientConfig() {
        return DefaultDockerClientConfig.createDefaultConfigBuilder()
                .withDockerHost(host)
                .withDockerTlsVerify(tls())
                .withDockerCertPath(tlsCertPath.map(Path::toString).orElse(null))
                .build();
    }

    /**
     * The start-up check of a TLS engine: one ping. An engine that refuses the connection may still be starting
     * (logged; callers retry later); any other failure — an untrusted server certificate, a client certificate
     * the engine rejects, a key that does not match — stops the start. Does nothing without TLS.
     *
     * @throws ConfigException naming the endpoint, the TLS folder and the problem
     */
    public void verify(DockerClient docker) {
        if (!tls()) {
            return;
        }
        try {
            docker.pingCmd().exec();
        } catch (RuntimeException e) {
            Throwable root = e;
            boolean refused = false;
            for (Throwable t = e; t != null; t = t.getCause()) {
                refused |= t instanceof ConnectException;
                root = t;
            }
            if (refused) {
                LOG.warning("Docker engine not reachable at " + host + " (" + root.getMessage() + ")");
                return;
            }
            String detail = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
            throw new ConfigException("Docker engine " + host + " (from " + origin + ") failed the TLS connection with "
                    + "the certificates of " + tlsOrigin + " = " + tlsCertPath.get() + ": " + detail);
        }
    }

    @Override
    public String toString() {
        return host;
    }
}
