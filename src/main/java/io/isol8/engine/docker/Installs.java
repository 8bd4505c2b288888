package io.isol8.engine.docker;

import io.isol8.config.Isol8Config.Packages;
import io.isol8.core.Language;
import io.isol8.engine.egress.Grant;
import io.isol8.engine.egress.InstallWindow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The install phase's settings ({@code packages.*}): the installers' environment (mirrors, CA bundle), the bundle
 * itself (read once, at start-up) and what the filtered network opens to the phase.
 */
final class Installs {
    static final Installs NONE = new Installs(Packages.BUILT_IN);

    private final Packages packages;
    private final Optional<byte[]> ca;

    /** @throws UncheckedIOException the configured CA bundle cannot be read */
    Installs(Packages packages) {
        this.packages = packages;
        try {
            this.ca = packages.caFile().isEmpty() ? Optional.empty()
                    : Optional.of(Files.readAllBytes(Path.of(packages.caFile())));
        } catch (IOException e) {
            throw new UncheckedIOException("packages.caFile " + packages.caFile() + " cannot be read", e);
        }
    }

    /** {@code NAME=value} entries the install phase of {@code runtime} adds to the program environment. */
    List<String> env(Language runtime) {
        return Containers.env(packages.env(runtime));
    }

    /** The CA bundle to write to {@link Packages#CA_PATH} before an install, if one is configured. */
    Optional<byte[]> ca() {
        return ca;
    }

    /** Opens the install phase's access through the egress proxy (closed when the phase ends). */
    InstallWindow open(Grant grant, Language runtime) {
        return grant.openInstall(packages.hostPatterns(runtime),
                packages.mirrorHost(runtime).map(Set::of).orElse(Set.of()));
    }
}
