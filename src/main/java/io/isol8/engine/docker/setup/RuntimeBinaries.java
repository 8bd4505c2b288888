package io.isol8.engine.docker.setup;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The bun and deno executables for their images (sandbox.md §13.3 step 3): {@code --bun-binary} /
 * {@code --deno-binary}, else the npm packages {@code bun@$BUN_VERSION} / {@code deno@$DENO_VERSION}, cached
 * as {@code /var/tmp/isol8-npm/bun-<version>} and {@code deno-<version>} (shared with
 * {@code docker/build-offline.sh}).
 */
final class RuntimeBinaries {
    static final Path NPM_CACHE = Path.of("/var/tmp/isol8-npm");

    /** The runtimes that need a binary. */
    enum Tool {
        BUN("bun", "BUN_VERSION"), DENO("deno", "DENO_VERSION");

        final String name;
        final String versionKey;

        Tool(String name, String versionKey) {
            this.name = name;
            this.versionKey = versionKey;
        }
    }

    private final Path cache;
    private final Path work;
    private final PrintStream err;

    RuntimeBinaries(Path cache, Path work, PrintStream err) {
        this.cache = cache;
        this.work = work;
        this.err = err;
    }

    /**
     * Resolves the binaries of {@code wanted}; tools whose binary cannot be had are missing from the answer
     * (the reason went to stderr).
     */
    Map<Tool, Path> resolve(Map<Tool, Optional<Path>> wanted, BuildFiles files) {
        Map<Tool, Path> found = new EnumMap<>(Tool.class);
        List<Tool> fromNpm = new ArrayList<>();
        for (Map.Entry<Tool, Optional<Path>> e : wanted.entrySet()) {
            Tool tool = e.getKey();
            if (e.getValue().isPresent()) {
                Path p = e.getValue().get();
                if (Files.isRegularFile(p) && Files.isReadable(p)) {
                    found.put(tool, p);
                } else {
                    err.println("isol8 setup: --" + tool.name + "-binary " + p + " is not a readable file");
                }
                continue;
            }
            Path cached = cache.resolve(tool.name + "-" + files.version(tool.versionKey));
            if (Files.isRegularFile(cached)) {
                found.put(tool, cached);
            } else {
                fromNpm.add(tool);
            }
        }
        if (!fromNpm.isEmpty()) {
            found.putAll(npm(fromNpm, files));
        }
        return found;
    }

    private Map<Tool, Path> npm(List<Tool> tools, BuildFiles files) {
        Map<Tool, Path> found = new EnumMap<>(Tool.class);
        if (Commands.which("npm").isEmpty()) {
            err.println("isol8 setup: npm not found (needed for bun/deno; or pass --bun-binary/--deno-binary)");
            return found;
        }
        Path prefix = work.resolve("npm");
        Path log = work.resolve("npm.log");
        List<String> argv = new ArrayList<>(List.of("npm", "install", "--prefix", prefix.toString(), "--no-save",
                "--no-audit", "--no-fund"));
        for (Tool t : tools) {
            argv.add(t.name + "@" + files.version(t.versionKey));
        }
        err.println("isol8 setup: " + String.join(" ", argv.subList(0, 2)) + " "
                + String.join(" ", argv.subList(argv.size() - tools.size(), argv.size())));
        try {
            Files.createDirectories(prefix);
        } catch (IOException e) {
            err.println("isol8 setup: cannot create " + prefix + ": " + e.getMessage());
            return found;
        }
        if (Commands.run(argv, log) != 0) {
            Commands.tail(log, 30, err);
            err.println("isol8 setup: npm install failed");
            return found;
        }
        Path nm = prefix.resolve("node_modules");
        for (Tool t : tools) {
            Optional<Path> bin = candidates(nm, t).stream().filter(Files::isRegularFile).findFirst();
            if (bin.isEmpty()) {
                err.println("isol8 setup: " + t.name + " binary not found after npm install");
                continue;
            }
            found.put(t, cache(bin.get(), cache.resolve(t.name + "-" + files.version(t.versionKey))));
        }
        return found;
    }

    /** Where the npm packages put the executables (sandbox.md §13.3 step 3), best first. */
    static List<Path> candidates(Path nodeModules, Tool tool) {
        List<Path> list = new ArrayList<>();
        if (tool == Tool.BUN) {
            // bun's install script moves the binary to bun/bin/bun.exe; without scripts it stays in @oven
            list.add(nodeModules.resolve("bun/bin/bun.exe"));
            Path oven = nodeModules.resolve("@oven");
            if (Files.isDirectory(oven)) {
                try (Stream<Path> s = Files.list(oven)) {
                    s.filter(p -> p.getFileName().toString().startsWith("bun-linux-x64")).sorted()
                            .forEach(p -> list.add(p.resolve("bin/bun")));
                } catch (IOException e) {
                    // nothing to add
                }
            }
        } else {
            list.add(nodeModules.resolve("@deno/linux-x64-glibc/deno"));
            list.add(nodeModules.resolve("deno/deno"));
        }
        return list;
    }

    /** Copies the binary into the cache (atomically); when the cache is not writable, uses it where it is. */
    private Path cache(Path bin, Path target) {
        try {
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            Files.copy(bin, tmp, StandardCopyOption.REPLACE_EXISTING);
            tmp.toFile().setExecutable(true, false);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            err.println("isol8 setup: cannot cache " + target + " (" + e.getMessage() + "); using " + bin);
            return bin;
        }
    }
}
