package io.isol8.engine.docker.setup;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import io.isol8.config.Isol8Config;
import io.isol8.core.Language;
import io.isol8.core.PackageSet;
import io.isol8.engine.docker.PackageImages;

import java.io.InputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds one package image ({@code isol8 build}, {@code images.prebuilt}): the configured runtime image with
 * packages installed as root and an optional setup script run after them, labelled so that the server chooses it
 * for requests whose {@code installPackages} it holds. An image with the same tag and hash label is up to date.
 */
final class PackageBuild {
    private final DockerClient docker;
    private final Isol8Config config;
    private final ImageStore images;
    private final SmokeTest smoke;
    private final PrintStream err;

    PackageBuild(DockerClient docker, Isol8Config config, ImageStore images, SmokeTest smoke, PrintStream err) {
        this.docker = docker;
        this.config = config;
        this.images = images;
        this.smoke = smoke;
        this.err = err;
    }

    /**
     * Builds the image unless it is up to date, then smoke-tests it.
     *
     * @return {@code built} or {@code up to date}
     * @throws SetupException the runtime image is missing or lacks the installer, the setup script cannot be read,
     *                        the build or the smoke test failed
     */
    String build(PackageImageSpec spec, boolean force) {
        Language runtime = spec.packages().runtime();
        String runtimeTag = config.images().of(runtime);
        String fromId = images.id(runtimeTag).orElseThrow(() -> new SetupException("the runtime image " + runtimeTag
                + " is missing; run isol8 setup --runtimes " + runtime.wireName() + " first"));
        byte[] script = spec.setup().map(PackageBuild::read).orElse(null);
        String hash = hash(fromId, spec.packages(), script);
        if (!force && hash.equals(images.label(spec.tag(), PackageImages.HASH).orElse(""))) {
            return "up to date";
        }
        if (runtime == Language.NODE) {
            requireNpm(fromId, runtimeTag);
        }
        Map<String, Path> context = new LinkedHashMap<>();
        String caFile = config.packages().caFile();
        if (!caFile.isEmpty()) {
            context.put(PackageDockerfile.CONTEXT_DIR + "/" + PackageDockerfile.CA, Path.of(caFile));
        }
        spec.setup().ifPresent(p -> context.put(PackageDockerfile.CONTEXT_DIR + "/" + PackageDockerfile.SETUP, p));
        byte[] dockerfile = PackageDockerfile.render(fromId, spec.packages(), config.packages().env(runtime),
                !context.isEmpty(), script != null);
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(PackageImages.RUNTIME, runtime.wireName());
        labels.put(PackageImages.PACKAGES, spec.packages().label());
        labels.put(PackageImages.HASH, hash);
        labels.put(PackageImages.FROM, fromId);
        err.println("isol8 build: building " + spec.tag() + " (" + runtime.wireName() + ": "
                + spec.packages().label() + ")");
        images.build(spec.tag(), dockerfile, context, Map.of(), labels, force);
        SmokeTest.Result r = smoke.run(spec.tag(), runtime.wireName());
        if (!r.ok()) {
            throw new SetupException("smoke test of " + spec.tag() + " failed: " + r.detail());
        }
        return "built";
    }

    /** SHA-256 over the runtime image id, the package list and the setup script (absent: no line). */
    static String hash(String fromId, PackageSet packages, byte[] setup) {
        BuildHash h = new BuildHash().line("from", fromId).line("runtime", packages.runtime().wireName())
                .line("packages", packages.label());
        if (setup != null) {
            h.content("setup", setup);
        }
        return h.hex();
    }

    private static byte[] read(Path setup) {
        try {
            return Files.readAllBytes(setup);
        } catch (IOException e) {
            throw new SetupException("cannot read the setup script " + setup + ": " + e.getMessage(), e);
        }
    }

    /**
     * Node images built offline have no npm (sandbox.md §13.4). Looks for it in a created (never started) container
     * instead of letting the build fail with Docker's "executable file not found".
     */
    private void requireNpm(String fromId, String runtimeTag) {
        String id = docker.createContainerCmd(fromId).withLabels(Map.of("io.isol8.managed", "true",
                "io.isol8.kind", "build")).withNetworkDisabled(true).exec().getId();
        try {
            for (String path : List.of("/usr/bin/npm", "/usr/local/bin/npm")) {
                try (InputStream in = docker.copyArchiveFromContainerCmd(id, path).exec()) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                    return;
                } catch (NotFoundException e) {
                    // try the next place
                } catch (IOException e) {
                    throw new SetupException("cannot look for npm in " + runtimeTag + ": " + e.getMessage(), e);
                }
            }
        } finally {
            try {
                docker.removeContainerCmd(id).withForce(true).exec();
            } catch (RuntimeException e) {
                err.println("isol8 build: could not remove the container " + id.substring(0, 12) + ": " + e.getMessage());
            }
        }
        throw new SetupException("the node image " + runtimeTag + " has no npm, which node package images need to "
                + "install packages (images built offline have none); rebuild it online with isol8 setup --runtimes "
                + "node --force, or use bun");
    }

    /** Why {@code tag} cannot name a package image (empty, or a runtime image's tag), if it cannot. */
    static Optional<String> tagProblem(String tag, Isol8Config config) {
        if (tag.isBlank() || tag.chars().anyMatch(Character::isWhitespace)) {
            return Optional.of("--tag must be a Docker image reference such as isol8-pkg:numbers");
        }
        String full = PackageImages.withTag(tag);
        List<String> runtimeTags = new java.util.ArrayList<>(List.of(ImageSetup.BASE_TAG, OfflineRootfs.IMAGE,
                config.images().base()));
        java.util.Arrays.stream(Language.values()).forEach(r -> runtimeTags.add(config.images().of(r)));
        if (runtimeTags.stream().map(PackageImages::withTag).anyMatch(full::equals)) {
            return Optional.of("--tag " + tag + " is a runtime image; package images need their own tag");
        }
        return Optional.empty();
    }
}
