package io.isol8.config;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code docker.*}: the engine endpoint and its TLS material. A {@code tcp://} host in the file needs
 * {@code docker.tls.certPath} or an explicit {@code docker.allowInsecure: true}: an engine API without TLS gives
 * root on its host to anyone who can reach the port.
 */
final class DockerKeys {
    /** The files of a TLS folder, named as the Docker CLI names them ({@code $DOCKER_CERT_PATH}). */
    static final List<String> TLS_FILES = List.of("ca.pem", "cert.pem", "key.pem");

    private DockerKeys() {
    }

    static Isol8Config.Docker read(Section s, Isol8Config.Docker b) {
        Optional<String> host = s.scalars().string(s.key("host"), s.take("host"), b.host(),
                h -> h.isEmpty() || h.matches("unix://.+|tcp://.+"),
                "unix:///path/to/docker.sock or tcp://host:port, or empty");
        Section tls = s.section("tls");
        Optional<String> certPath = tls.scalars().string(tls.key("certPath"), tls.take("certPath"), b.tlsCertPath(),
                DockerKeys::certFolder,
                "empty or the absolute path of a readable folder with " + String.join(", ", TLS_FILES));
        boolean allowInsecure = s.bool("allowInsecure", b.allowInsecure());
        if (host.isPresent() && host.get().startsWith("tcp://") && certPath.isPresent() && certPath.get().isEmpty()
                && !allowInsecure) {
            s.scalars().problems().badValue(s.key("host"), Problems.quote(host.get()),
                    "TLS for a tcp:// engine: set docker.tls.certPath, or docker.allowInsecure: true to use it"
                            + " without TLS");
        }
        return new Isol8Config.Docker(host.orElse(b.host()), certPath.orElse(b.tlsCertPath()), allowInsecure);
    }

    private static boolean certFolder(String raw) {
        if (raw.isEmpty()) {
            return true;
        }
        try {
            Path folder = Path.of(raw);
            return folder.isAbsolute() && TLS_FILES.stream().map(folder::resolve)
                    .allMatch(file -> Files.isRegularFile(file) && Files.isReadable(file));
        } catch (InvalidPathException e) {
            return false;
        }
    }
}
