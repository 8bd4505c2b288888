package io.isol8.cli;

import io.isol8.bench.Bench;
import io.isol8.config.ConfigException;
import io.isol8.config.ConfigLoader;
import io.isol8.config.Isol8Config;
import io.isol8.core.Isol8Exception;
import io.isol8.engine.Telemetry;
import io.isol8.engine.docker.DockerEngine;
import io.isol8.core.Language;
import io.isol8.core.PackageSet;
import io.isol8.engine.docker.setup.ImageSetup;
import io.isol8.engine.docker.setup.PackageCommands;
import io.isol8.engine.docker.setup.PackageImageSpec;
import io.isol8.engine.docker.setup.SetupOptions;
import io.isol8.server.Metrics;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@code isol8} command: {@code serve}, {@code setup}, {@code build}, {@code images}, {@code cleanup},
 * {@code bench}, {@code --version}, {@code --help}.
 */
public final class Main {
    private static final String USAGE = """
            Usage:
              isol8 serve   [--port|-p N] [--key|-k KEY] [--config PATH] [--auth-db CONN] [--debug]
              isol8 setup   [--config PATH] [--runtimes LIST] [--base IMAGE] [--offline [--mirror URL] [--rootfs-dir DIR]]
                            [--bun-binary PATH] [--deno-binary PATH] [--force]
              isol8 cleanup [--config PATH] [--all] [--images]
              isol8 build   --runtime R --install P1,P2 [--setup FILE] --tag NAME [--force] [--config PATH]
              isol8 images  [--config PATH]
              isol8 bench   [--url URL] [--key KEY] [--runtime R] [--requests N] [--concurrency N] [--warmup N]
                            [--code SRC] [--pause MS] [--session] [--stream] [--cpu] [--json]
                            [--floor [--image IMAGE] [--floor-execs N] [--floor-containers N]]
              isol8 --version | -V
              isol8 --help | -h

            serve    runs the HTTP server (key from --key or ISOL8_API_KEY, or auth.keys in the config)
            cleanup  removes this instance's leftover containers (--all: every isol8 container); run it
                     while the server is stopped. --images removes the package images instead
            setup    builds the runtime images (isol8 setup --help tells which path to use), then the
                     package images of images.prebuilt
            build    builds a package image: a runtime image with packages installed, chosen for requests
                     whose installPackages it holds (isol8 build --help)
            images   lists the package images
            bench    drives a running server (closed loop) and prints latency percentiles and req/s;
                     --floor compares with raw Docker, --cpu shows where the CPU went (docs/benchmarks.md)
            """;

    /** Strong references: JUL forgets the level of a logger nobody holds. */
    private static final List<Logger> DEBUG_LOGGERS = new java.util.ArrayList<>();

    private Main() {
    }

    public static void main(String[] argv) {
        io.helidon.logging.common.LogConfig.configureRuntime();
        int code = run(argv, System.getenv(), System.out, System.err);
        if (code >= 0) {
            System.exit(code);
        }
    }

    /** Runs a command; returns the exit code, or -1 when a server keeps running. */
    public static int run(String[] argv, Map<String, String> env, PrintStream out, PrintStream err) {
        Args args;
        try {
            args = Args.parse(argv);
        } catch (Args.UsageException e) {
            err.println(e.getMessage());
            err.print(USAGE);
            return 1;
        }
        try {
            return switch (args.command()) {
                case "help" -> {
                    String topic = args.values().getOrDefault("topic", "");
                    out.print(topic.equals("setup") ? ImageSetup.HELP : topic.equals("build") ? PackageCommands.HELP
                            : USAGE);
                    yield 0;
                }
                case "version" -> {
                    out.println(version());
                    yield 0;
                }
                case "serve" -> serve(args, env, out);
                case "cleanup" -> cleanup(args, env, out, err);
                case "setup" -> setup(args, env, out, err);
                case "build" -> build(args, env, out, err);
                case "images" -> PackageCommands.list(config(args, env), out, err);
                case "bench" -> Bench.run(args.values(), args.switches(), env, out, err);
                default -> throw new IllegalStateException(args.command());
            };
        } catch (ConfigException | StartupException e) {
            err.println("error: " + e.getMessage().replace("\n", "\nerror: "));
            return 1;
        }
    }

    private static Isol8Config config(Args args, Map<String, String> env) {
        Path home = Path.of(env.getOrDefault("HOME", System.getProperty("user.home")));
        return ConfigLoader.load(ConfigLoader.locate(args.value("--config"), env, Path.of("").toAbsolutePath(), home));
    }

    private static int serve(Args args, Map<String, String> env, PrintStream out) {
        if (args.has("--debug")) {
            // docker-java's own debug output would show exec environments (secrets): not enabled
            for (String name : List.of("io.isol8")) {
                Logger logger = Logger.getLogger(name);
                logger.setLevel(Level.FINE);
                DEBUG_LOGGERS.add(logger);
            }
        }
        Isol8Config config = config(args, env);
        int port = port(args, env, config);
        Map<String, byte[]> keys = Keys.of(args.value("--key").or(() -> Optional.ofNullable(env.get("ISOL8_API_KEY"))
                .filter(k -> !k.isEmpty())), config);
        String database = args.value("--auth-db").orElse(config.auth().database());
        if (!database.isEmpty()) {
            java.util.Optional<String> problem = io.isol8.config.StoreUrl.problem(database);
            if (problem.isPresent()) {
                throw new StartupException("Invalid auth database" + (args.value("--auth-db").isPresent()
                        ? " (from --auth-db)" : " (auth.database)") + ": " + problem.get());
            }
        }
        checkPortFree(port);
        Optional<io.isol8.auth.KeyStore> store = database.isEmpty() ? Optional.empty()
                : Optional.of(io.isol8.auth.KeyStore.open(database, java.time.Clock.systemUTC()));
        String instanceId = config.instanceId().isEmpty() ? hostname() + "-" + port : config.instanceId();
        String version = version();
        Metrics metrics = new Metrics();
        DockerEngine engine = new DockerEngine(config, instanceId, version, metrics);
        Application app;
        try {
            app = new Application(config, version, port, Keys.admins(keys, config), store, engine, metrics);
        } catch (RuntimeException e) {
            engine.closeClient();
            store.ifPresent(io.isol8.auth.KeyStore::close);
            if (rootMessage(e).contains("Address already in use")) {
                throw new StartupException("Port " + port + " is already in use");
            }
            throw e;
        }
        engine.start();
        out.println("isol8 " + version + " listening on http://0.0.0.0:" + app.port() + " (config: " + config.source() + ")");
        out.flush();
        Thread hook = new Thread(app::close, "isol8-shutdown");
        java.lang.Runtime.getRuntime().addShutdownHook(hook);
        sun.misc.SignalHandler stop = signal -> {
            app.close();
            System.exit(0);
        };
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), stop);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), stop);
        return -1;
    }

    private static int setup(Args args, Map<String, String> env, PrintStream out, PrintStream err) {
        Isol8Config config = config(args, env);
        SetupOptions options;
        try {
            options = new SetupOptions(
                    args.value("--runtimes").map(SetupOptions::parseRuntimes).orElse(List.of(io.isol8.core.Language.values())),
                    args.value("--base"), args.has("--offline"), args.value("--mirror"),
                    args.value("--rootfs-dir").map(Path::of).orElse(SetupOptions.DEFAULT_ROOTFS_DIR),
                    args.value("--bun-binary").map(Path::of), args.value("--deno-binary").map(Path::of),
                    args.has("--force"));
        } catch (IllegalArgumentException e) {
            throw new StartupException(e.getMessage());
        }
        return ImageSetup.setup(config, version(), options, out, err);
    }

    private static int build(Args args, Map<String, String> env, PrintStream out, PrintStream err) {
        Isol8Config config = config(args, env);
        String runtimeName = args.value("--runtime").orElseThrow(() -> new StartupException("isol8 build needs --runtime"));
        Language runtime = Language.fromWire(runtimeName).filter(r -> r != Language.BASH)
                .orElseThrow(() -> new StartupException("--runtime must be one of python, node, bun, deno, not \""
                        + runtimeName + "\""));
        List<String> install = java.util.Arrays.stream(args.value("--install")
                        .orElseThrow(() -> new StartupException("isol8 build needs --install")).split(","))
                .map(String::strip).filter(p -> !p.isEmpty()).toList();
        String tag = args.value("--tag").orElseThrow(() -> new StartupException("isol8 build needs --tag"));
        Optional<Path> setup = args.value("--setup").map(Path::of);
        if (setup.isPresent() && !java.nio.file.Files.isReadable(setup.get())) {
            throw new StartupException("--setup " + setup.get() + " is not a readable file");
        }
        PackageSet packages;
        try {
            packages = PackageSet.of(runtime, install);
        } catch (IllegalArgumentException e) {
            throw new StartupException("--install: " + e.getMessage());
        }
        return PackageCommands.build(config, version(), new PackageImageSpec(packages, setup, tag), args.has("--force"),
                out, err);
    }

    private static int cleanup(Args args, Map<String, String> env, PrintStream out, PrintStream err) {
        Isol8Config config = config(args, env);
        if (args.has("--images")) {
            return PackageCommands.remove(config, out, err);
        }
        int port = port(new Args("serve", Map.of(), java.util.Set.of()), env, config);
        String instanceId = config.instanceId().isEmpty() ? hostname() + "-" + port : config.instanceId();
        DockerEngine engine = new DockerEngine(config, instanceId, version(), Telemetry.NONE);
        try {
            int removed = args.has("--all") ? engine.removeEveryManaged() : engine.removeAll();
            out.println("removed " + removed + " container(s)");
            return 0;
        } catch (RuntimeException e) {
            throw new StartupException(Isol8Exception.Unavailable.engineUnreachable(engine.endpoint(), null, null).getMessage());
        } finally {
            engine.closeClient();
        }
    }

    /** Fails fast and quietly when another process listens on the port (Helidon would log a stack trace). */
    private static void checkPortFree(int port) {
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new java.net.InetSocketAddress("0.0.0.0", port));
        } catch (IOException e) {
            throw new StartupException("Port " + port + " is already in use");
        }
    }

    static int port(Args args, Map<String, String> env, Isol8Config config) {
        Map<String, String> sources = new LinkedHashMap<>();
        args.value("--port").ifPresent(v -> sources.put("--port", v));
        Optional.ofNullable(env.get("ISOL8_PORT")).ifPresent(v -> sources.putIfAbsent("ISOL8_PORT", v));
        Optional.ofNullable(env.get("PORT")).ifPresent(v -> sources.putIfAbsent("PORT", v));
        if (sources.isEmpty()) {
            return config.port();
        }
        Map.Entry<String, String> first = sources.entrySet().iterator().next();
        try {
            int p = Integer.parseInt(first.getValue().trim());
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new StartupException("Invalid port from " + first.getKey() + ": \"" + first.getValue() + "\". Expected 1-65535.");
    }

    static String version() {
        try (InputStream in = Main.class.getResourceAsStream("/io/isol8/version.properties")) {
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException | NullPointerException e) {
            return "unknown";
        }
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9_.-]", "-");
        } catch (IOException e) {
            return "isol8";
        }
    }

    private static String rootMessage(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append(' ');
        }
        return all.toString();
    }

    /** A start-up failure reported as one {@code error:} line, exit 1. */
    static final class StartupException extends RuntimeException {
        StartupException(String message) {
            super(message);
        }
    }
}
