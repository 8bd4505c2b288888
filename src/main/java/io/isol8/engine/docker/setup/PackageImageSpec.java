package io.isol8.engine.docker.setup;

import io.isol8.core.PackageSet;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * One package image to build: {@code isol8 build --runtime R --install LIST [--setup FILE] --tag NAME}, or an entry of
 * {@code images.prebuilt}.
 *
 * @param packages the runtime and its validated, normalised packages
 * @param setup    a bash script run as root after the install
 * @param tag      the image's tag
 */
public record PackageImageSpec(PackageSet packages, Optional<Path> setup, String tag) {
    public PackageImageSpec {
        Objects.requireNonNull(packages, "packages");
        Objects.requireNonNull(setup, "setup");
        Objects.requireNonNull(tag, "tag");
    }
}
