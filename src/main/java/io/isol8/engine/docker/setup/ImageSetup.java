package io.isol8.engine.docker.setup;

import com.github.dockerjava.api.DockerClient;
import io.isol8.config.Isol8Config;
import io.isol8.core.Language;
import io.isol8.engine.docker.EngineEndpoint;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToIntFunction;
import java.util.stream.Stream;

/**
 * {@code isol8 setup} (sandbox.md §13.3): builds {@code isol8:base} and the requested runtime images with the
 * classic builder, skips those whose {@code io.isol8.build.hash} label is current, smoke-tests each under the
 * §10 hardening and prints one line per image ({@code <image> built|up to date|failed}). Agrees with
 * {@code docker/build-offline.sh} on hashes, labels and the offline rootfs, so either tool sees the other's
 * images as up to date. Never deletes images.
 */
public final class ImageSetup {
    /** The usage text of {@code isol8 setup --help}. */
    public static final String HELP = """
            Usage: isol8 setup [--runtimes python,node,bun,deno,bash] [--base IMAGE]
                               [--offline [--mirror URL] [--rootfs-dir DIR]]
                               [--bun-binary PATH] [--deno-binary PATH] [--force] [--config PATH]

            Builds isol8:base and the runtime images (tags from images.* in the config) on the Docker
            engine of docker.host, skips images whose build inputs are unchanged, and runs a hello-world in
            each under the sandbox hardening. Prints "<image> built|up to date|failed" per image; exits 0
            when all succeeded, else 1. Existing images are never deleted.

            Two ways to get the base image:
              default    Machines that can reach a container registry: the base is --base, else
                         images.base (debian:bookworm-slim), pulled once if it is not present. Missing
                         Debian packages come from the Debian mirror during the build; node gets npm.
              --offline  Machines without a container registry (air-gapped hosts, CI runners without
                         Docker Hub): debootstrap builds a minimal Debian bookworm root filesystem (needs
                         root, debootstrap, a Debian package mirror and about 400 MB), which is imported
                         as isol8-rootfs:bookworm and used as the base; nothing is pulled. Node images have
                         no npm. Same result as docker/build-offline.sh.

            Options:
              --runtimes LIST     runtime images to build (default: all of python,node,bun,deno,bash)
              --base IMAGE        base image (default: images.base; ignored with --offline)
              --offline           build on a debootstrapped rootfs instead of a registry image
              --mirror URL        Debian mirror for debootstrap, e.g. a local one (with --offline)
              --rootfs-dir DIR    where the rootfs is made; reused when complete
                                  (default /var/tmp/isol8-rootfs)
              --bun-binary PATH   linux-x64 bun executable to use instead of the npm package
              --deno-binary PATH  linux-x64 deno executable to use instead of the npm package
                                  (without these, bun/deno come from the npm registry via npm, cached in
                                  /var/tmp/isol8-npm)
              --force             rebuild every image without the build cache, even when up to date
              --config PATH       configuration file (images.*, docker.host, defaults.*)
            """;

    static final String BASE_TAG = "isol8:base";
    static final String LABEL_IMAGE = "io.isol8.image";
    static final String LABEL_HASH = "io.isol8.build.hash";
    static final String LABEL_VERSION = "io.isol8.version";

    private final DockerClient docker;
    private final Isol8Config config;
    private final String version;

    /**
     * @param docker  the client (see {@link EngineEndpoint#open}); not closed here
     * @param config  {@code images.*}, {@code docker.host} (messages) and {@code defaults.*} (smoke test)
     * @param version the isol8 version (label {@code io.isol8.version})
     */
    public ImageSetup(DockerClient docker, Isol8Config config, String version) {
        this.docker = docker;
        this.config = config;
        this.version = version;
    }

    /**
     * {@code isol8 setup}: opens a client for the configured engine (see {@link EngineEndpoint}), runs the setup and
     * closes the client.
     *
     * @return 0 when every image is built or up to date and passed its smoke test, else 1
     * @throws io.isol8.config.ConfigException the engine's TLS settings are missing or rejected
     */
    public static int setup(Isol8Config config, String version, SetupOptions options, PrintStream out,
                            PrintStream err) {
        return withEngine(config, "isol8 setup", err, docker -> new ImageSetup(docker, config, version)
                .run(options, out, err));
    }

    /**
     * Opens a client for the configured engine, runs {@code command} with it and closes it; an I/O failure is
     * printed after {@code name} and gives 1.
     *
     * @throws io.isol8.config.ConfigException the engine's TLS settings are missing or rejected
     */
    static int withEngine(Isol8Config config, String name, PrintStream err, ToIntFunction<DockerClient> command) {
        EngineEndpoint endpoint = EngineEndpoint.of(config);
        try (DockerClient docker = endpoint.open(16)) {
            endpoint.verify(docker);
            return command.applyAsInt(docker);
        } catch (IOException e) {
            err.println(name + ": " + e.getMessage());
            return 1;
        }
    }

    /** Whether the engine answers a ping; when it does not, says so (sandbox.md §13.3 step 1). */
    static boolean reachable(DockerClient docker, Isol8Config config, PrintStream err) {
        try {
            docker.pingCmd().exec();
            return true;
        } catch (RuntimeException e) {
            err.println("Docker engine is not reachable at " + endpoint(config) + ". Start dockerd or set docker.host.");
            return false;
        }
    }

    /** A docker-java client for the configured engine (see {@link EngineEndpoint}); the caller closes it. */
    static DockerClient connect(Isol8Config config) {
        return EngineEndpoint.of(config).open(16);
    }

    /** The Docker endpoint of a configuration, as the server resolves it. */
    static String endpoint(Isol8Config config) {
        return EngineEndpoint.of(config).host();
    }

    /**
     * Runs the setup. Results go to {@code out} (one line per image), progress and errors to {@code err}.
     *
     * @return 0 when every image is built or up to date and passed its smoke test, else 1
     */
    public int run(SetupOptions options, PrintStream out, PrintStream err) {
        return run(options, options.force(), out, err);
    }

    /** As {@link #run(SetupOptions, PrintStream, PrintStream)}; {@code forceBase} says whether --force covers isol8:base. */
    int run(SetupOptions options, boolean forceBase, PrintStream out, PrintStream err) {
        if (!reachable(docker, config, err)) {
            return 1;
        }
        BuildFiles files;
        Path work;
        try {
            files = BuildFiles.load();
            work = Files.createTempDirectory(scratchRoot(), "isol8-setup.");
        } catch (IOException | RuntimeException e) {
            err.println("isol8 setup: " + e.getMessage());
            return 1;
        }
        try {
            return build(options, forceBase, files, work, out, err);
        } finally {
            deleteTree(work);
        }
    }

    private int build(SetupOptions options, boolean forceBase, BuildFiles files, Path work, PrintStream out,
                      PrintStream err) {
        ImageStore images = new ImageStore(docker, work, err);
        List<Language> runtimes = options.runtimes();

        // 1. the base image
        String from;
        String fromId;
        try {
            from = options.offline()
                    ? new OfflineRootfs(docker, images, err).ensure(options.rootfsDir(), options.mirror(), work)
                    : options.base().filter(b -> !b.isBlank()).orElse(config.images().base());
            Optional<String> id = images.id(from);
            if (id.isEmpty() && !options.offline()) {
                err.println("isol8 setup: pulling " + from);
                id = images.pull(from) ? images.id(from) : Optional.empty();
            }
            fromId = id.orElseThrow(() -> new SetupException(options.offline()
                    ? from + " is missing after the import"
                    : "Base image " + from + " is not available and cannot be pulled. Use --offline on machines"
                    + " without a registry."));
        } catch (SetupException e) {
            err.println(e.getMessage().startsWith("Base image ") ? e.getMessage() : "isol8 setup: " + e.getMessage());
            return failAll(runtimes, out);
        } catch (RuntimeException e) {
            err.println("isol8 setup: the base image could not be prepared: " + e.getMessage());
            return failAll(runtimes, out);
        }

        // 2. bun / deno binaries
        Map<RuntimeBinaries.Tool, Optional<Path>> wanted = new EnumMap<>(RuntimeBinaries.Tool.class);
        if (runtimes.contains(Language.BUN)) {
            wanted.put(RuntimeBinaries.Tool.BUN, options.bunBinary());
        }
        if (runtimes.contains(Language.DENO)) {
            wanted.put(RuntimeBinaries.Tool.DENO, options.denoBinary());
        }
        Map<RuntimeBinaries.Tool, Path> binaries;
        try {
            binaries = wanted.isEmpty() ? Map.of()
                    : new RuntimeBinaries(RuntimeBinaries.NPM_CACHE, work, err).resolve(wanted, files);
        } catch (RuntimeException e) {
            err.println("isol8 setup: " + e.getMessage());
            binaries = Map.of();
        }

        // 3. the agent, carried by isol8:base
        Path agent;
        try {
            agent = AgentBinary.locate();
        } catch (RuntimeException e) {
            err.println("isol8 setup: " + e.getMessage());
            return failAll(runtimes, out);
        }

        // 4. build + smoke test
        SmokeTest smoke = new SmokeTest(docker, config.defaults(), version);
        boolean ok = image("base", BASE_TAG, baseHash(files, fromId, agent), files.dockerfile("base"),
                Map.of(AgentBinary.NAME, agent), Map.of("BASE", from), options.force() && forceBase, images, smoke,
                out, err);
        if (!ok) {
            runtimes.forEach(r -> out.println(config.images().of(r) + " failed"));
            return 1;
        }
        String baseLabel = images.label(BASE_TAG, LABEL_HASH).orElse("");
        boolean online = !options.offline() && !from.equals(OfflineRootfs.IMAGE);
        for (Language r : runtimes) {
            String kind = r.wireName();
            String tag = config.images().of(r);
            Map<String, Path> context = new LinkedHashMap<>();
            Optional<Path> binary = Optional.empty();
            if (r == Language.BUN || r == Language.DENO) {
                binary = Optional.ofNullable(binaries.get(r == Language.BUN ? RuntimeBinaries.Tool.BUN
                        : RuntimeBinaries.Tool.DENO));
                if (binary.isEmpty()) {
                    err.println("isol8 setup: no " + kind + " binary for " + tag);
                    out.println(tag + " failed");
                    ok = false;
                    continue;
                }
                context.put(kind, binary.get());
            }
            Map<String, String> args = r == Language.NODE && online ? Map.of("WITH_NPM", "1") : Map.of();
            String hash;
            try {
                hash = runtimeHash(files, r, baseLabel, binary);
            } catch (RuntimeException e) {
                err.println("isol8 setup: " + e.getMessage());
                out.println(tag + " failed");
                ok = false;
                continue;
            }
            ok &= image(kind, tag, hash, files.dockerfile(kind), context, args, options.force(), images, smoke,
                    out, err);
        }
        List<Isol8Config.Prebuilt> prebuilt = config.images().prebuilt();
        if (ok && !prebuilt.isEmpty()) {
            ok = PackageCommands.build(docker, config, version, prebuilt.stream().map(p -> new PackageImageSpec(
                    p.packages(), p.setup().map(Path::of), p.tag())).toList(), options.force(), out, err);
        }
        return ok ? 0 : 1;
    }

    /** Builds one image unless its hash label matches, smoke-tests it and prints its line. */
    private boolean image(String kind, String tag, String hash, byte[] dockerfile, Map<String, Path> context,
                          Map<String, String> args, boolean force, ImageStore images, SmokeTest smoke, PrintStream out,
                          PrintStream err) {
        String state = "up to date";
        try {
            if (force || !hash.equals(images.label(tag, LABEL_HASH).orElse(""))) {
                state = "built";
                err.println("isol8 setup: building " + tag);
                Map<String, String> labels = new LinkedHashMap<>();
                labels.put(LABEL_IMAGE, kind);
                labels.put(LABEL_HASH, hash);
                labels.put(LABEL_VERSION, version);
                images.build(tag, dockerfile, context, args, labels, force);
            }
            SmokeTest.Result r = smoke.run(tag, kind);
            if (!r.ok()) {
                err.println("isol8 setup: smoke test of " + tag + " failed: " + r.detail());
                state = "failed";
            }
        } catch (RuntimeException e) {
            err.println("isol8 setup: " + e.getMessage());
            state = "failed";
        }
        out.println(tag + " " + state);
        out.flush();
        return !state.equals("failed");
    }

    /** The build hash of isol8:base built FROM the image with id {@code fromId}, carrying the agent binary. */
    static String baseHash(BuildFiles files, String fromId, Path agent) {
        return new BuildHash()
                .content(BuildFiles.dockerfileName("base"), files.dockerfile("base"))
                .content(BuildFiles.VERSIONS, files.versionsEnv())
                .line("from", fromId)
                .line("agent", BuildHash.sha256(agent))
                .hex();
    }

    /** The build hash of a runtime image on the isol8:base whose hash label is {@code baseLabel}. */
    static String runtimeHash(BuildFiles files, Language runtime, String baseLabel, Optional<Path> binary) {
        String kind = runtime.wireName();
        BuildHash h = new BuildHash()
                .content(BuildFiles.dockerfileName(kind), files.dockerfile(kind))
                .content(BuildFiles.VERSIONS, files.versionsEnv())
                .line("base", baseLabel);
        if (runtime == Language.BUN || runtime == Language.DENO) {
            h.line(kind, BuildHash.sha256(binary.orElseThrow(() -> new IllegalArgumentException(
                    "the " + kind + " image needs its binary"))));
        }
        return h.hex();
    }

    private int failAll(List<Language> runtimes, PrintStream out) {
        out.println(BASE_TAG + " failed");
        runtimes.forEach(r -> out.println(config.images().of(r) + " failed"));
        return 1;
    }

    /** /var/tmp like the script (npm downloads are large), else the JVM's temp folder. */
    static Path scratchRoot() {
        Path varTmp = Path.of("/var/tmp");
        return Files.isDirectory(varTmp) && Files.isWritable(varTmp) ? varTmp
                : Path.of(System.getProperty("java.io.tmpdir"));
    }

    static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // left behind in the temp folder
                }
            });
        } catch (IOException e) {
            // left behind in the temp folder
        }
    }
}
