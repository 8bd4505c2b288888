package io.isol8.engine.docker.setup;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import io.isol8.config.Isol8Config;
import io.isol8.core.Language;
import io.isol8.engine.docker.PackageImages;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The package image commands: {@code isol8 build}, {@code isol8 images} and {@code isol8 cleanup --images}. Each
 * opens a client for the configured engine, does its work and closes it.
 */
public final class PackageCommands {
    /** The usage text of {@code isol8 build --help}. */
    public static final String HELP = """
            Usage: isol8 build --runtime R --install P1,P2 [--setup FILE] --tag NAME [--force] [--config PATH]

            Builds a package image: the runtime image images.<R> with the packages installed as root (python:
            pip into the system's site-packages; node and bun: /node_modules; deno: a module cache in the
            image), then the setup script, if any, run with bash as root. Requests of that runtime whose
            installPackages the image holds then run in it without an install phase (also with network none).
            Installers use packages.caFile and the mirrors of packages.* in the config. An image with the same
            tag, runtime image, packages and script is up to date and skipped unless --force. Prints
            "<tag> built|up to date|failed"; exits 0 when built or up to date, else 1.

            Options:
              --runtime R      python, node, bun or deno (node needs an image built online, with npm)
              --install LIST   comma-separated packages, as in request.installPackages (is-number@7.0.0,
                               requests==2.32.3, npm:lodash)
              --setup FILE     bash script run as root after the install
              --tag NAME       the image's tag, e.g. isol8-pkg:numbers (not a runtime image's tag)
              --force          rebuild without the build cache even when up to date
              --config PATH    configuration file (images.*, packages.*, docker.host)
            """;
    private static final DateTimeFormatter CREATED = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private PackageCommands() {
    }

    /**
     * {@code isol8 build}.
     *
     * @return 0 when the image was built or is up to date, else 1
     */
    public static int build(Isol8Config config, String version, PackageImageSpec spec, boolean force, PrintStream out,
                            PrintStream err) {
        var problem = PackageBuild.tagProblem(spec.tag(), config);
        if (problem.isPresent()) {
            err.println("isol8 build: " + problem.get());
            return 1;
        }
        return ImageSetup.withEngine(config, "isol8 build", err, docker -> ImageSetup.reachable(docker, config, err)
                && build(docker, config, version, List.of(spec), force, out, err) ? 0 : 1);
    }

    /** Builds each image, printing one line per image; returns whether all are built or up to date. */
    static boolean build(DockerClient docker, Isol8Config config, String version, List<PackageImageSpec> specs,
                         boolean force, PrintStream out, PrintStream err) {
        Path work;
        try {
            work = Files.createTempDirectory(ImageSetup.scratchRoot(), "isol8-build.");
        } catch (IOException e) {
            err.println("isol8 build: " + e.getMessage());
            specs.forEach(s -> out.println(s.tag() + " failed"));
            return false;
        }
        try {
            PackageBuild builder = new PackageBuild(docker, config, new ImageStore(docker, work, err),
                    new SmokeTest(docker, config.defaults(), version), err);
            boolean ok = true;
            for (PackageImageSpec spec : specs) {
                String state;
                try {
                    state = builder.build(spec, force);
                } catch (RuntimeException e) {
                    err.println("isol8 build: " + e.getMessage());
                    state = "failed";
                    ok = false;
                }
                out.println(spec.tag() + " " + state);
                out.flush();
            }
            return ok;
        } finally {
            ImageSetup.deleteTree(work);
        }
    }

    /**
     * {@code isol8 images}: one line per package image, smallest first.
     *
     * @return 0, or 1 when the engine does not answer
     */
    public static int list(Isol8Config config, PrintStream out, PrintStream err) {
        return ImageSetup.withEngine(config, "isol8 images", err, docker -> {
            if (!ImageSetup.reachable(docker, config, err)) {
                return 1;
            }
            List<PackageImages.Listed> images = PackageImages.list(docker);
            out.println(String.format(Locale.ROOT, "%-32s %-8s %-10s %-17s %s", "TAG", "RUNTIME", "SIZE", "CREATED",
                    "PACKAGES"));
            for (PackageImages.Listed i : images) {
                out.println(String.format(Locale.ROOT, "%-32s %-8s %-10s %-17s %s", i.name(), i.runtime().wireName(),
                        megabytes(i.size()), CREATED.format(Instant.ofEpochSecond(i.created())), i.packages().label()));
            }
            return 0;
        });
    }

    /**
     * {@code isol8 cleanup --images}: removes every image labelled {@value PackageImages#RUNTIME}, never a runtime
     * image (one that carries a configured runtime tag is left alone). An image that a container still uses is
     * reported and kept.
     *
     * @return 0 when every package image is gone, else 1
     */
    public static int remove(Isol8Config config, PrintStream out, PrintStream err) {
        return ImageSetup.withEngine(config, "isol8 cleanup", err, docker -> {
            if (!ImageSetup.reachable(docker, config, err)) {
                return 1;
            }
            Set<String> runtimeTags = Arrays.stream(Language.values())
                    .map(r -> PackageImages.withTag(config.images().of(r))).collect(Collectors.toSet());
            runtimeTags.add(PackageImages.withTag(ImageSetup.BASE_TAG));
            int removed = 0;
            List<String> kept = new ArrayList<>();
            for (PackageImages.Listed i : PackageImages.list(docker)) {
                if (i.tags().stream().anyMatch(runtimeTags::contains)) {
                    continue;
                }
                try {
                    docker.removeImageCmd(i.id()).withForce(true).exec();
                    removed++;
                } catch (NotFoundException e) {
                    // gone already
                } catch (ConflictException e) {
                    kept.add(i.name());
                    err.println("isol8 cleanup: " + i.name() + " is in use: " + e.getMessage());
                }
            }
            out.println("removed " + removed + " package image(s)");
            return kept.isEmpty() ? 0 : 1;
        });
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.0fMB", bytes / 1e6);
    }
}
