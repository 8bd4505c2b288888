package io.isol8.engine.docker.setup;

import io.isol8.core.Language;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The flags of {@code isol8 setup} (config.md §2.1, sandbox.md §13.3).
 *
 * @param runtimes   the runtime images to build, in order, without duplicates (isol8:base is always built)
 * @param base       {@code --base}; empty means {@code images.base} (ignored with {@code --offline})
 * @param offline    {@code --offline}: debootstrap a rootfs and build on {@code isol8-rootfs:bookworm}
 * @param mirror     {@code --mirror}: the Debian mirror for debootstrap (offline only)
 * @param rootfsDir  {@code --rootfs-dir}: where the offline rootfs lives (absolute, not {@code /})
 * @param bunBinary  {@code --bun-binary}: a linux-x64 bun executable instead of the npm package
 * @param denoBinary {@code --deno-binary}: a linux-x64 deno executable instead of the npm package
 * @param force      {@code --force}: rebuild (without the build cache) even when the hash label matches
 */
public record SetupOptions(List<Language> runtimes, Optional<String> base, boolean offline, Optional<String> mirror,
                           Path rootfsDir, Optional<Path> bunBinary, Optional<Path> denoBinary, boolean force) {

    /** The default {@code --rootfs-dir}. */
    public static final Path DEFAULT_ROOTFS_DIR = Path.of("/var/tmp/isol8-rootfs");

    public SetupOptions {
        Objects.requireNonNull(runtimes, "runtimes");
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(mirror, "mirror");
        Objects.requireNonNull(rootfsDir, "rootfsDir");
        Objects.requireNonNull(bunBinary, "bunBinary");
        Objects.requireNonNull(denoBinary, "denoBinary");
        if (runtimes.isEmpty()) {
            throw new IllegalArgumentException("--runtimes is empty");
        }
        List<Language> unique = new ArrayList<>();
        for (Language r : runtimes) {
            if (!unique.contains(Objects.requireNonNull(r, "runtime"))) {
                unique.add(r);
            }
        }
        runtimes = List.copyOf(unique);
        if (!rootfsDir.isAbsolute() || rootfsDir.normalize().getNameCount() == 0) {
            throw new IllegalArgumentException("--rootfs-dir must be an absolute folder other than /");
        }
        rootfsDir = rootfsDir.normalize();
    }

    /** Every runtime, the configured base, online, nothing forced. */
    public static SetupOptions defaults() {
        return new SetupOptions(List.of(Language.values()), Optional.empty(), false, Optional.empty(),
                DEFAULT_ROOTFS_DIR, Optional.empty(), Optional.empty(), false);
    }

    /** The same options with other runtimes. */
    public SetupOptions withRuntimes(List<Language> list) {
        return new SetupOptions(list, base, offline, mirror, rootfsDir, bunBinary, denoBinary, force);
    }

    /**
     * Parses a {@code --runtimes} value such as {@code python,node}.
     *
     * @throws IllegalArgumentException an empty list or an unknown name (the message names it)
     */
    public static List<Language> parseRuntimes(String csv) {
        List<Language> list = new ArrayList<>();
        for (String name : Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList()) {
            list.add(Language.fromWire(name).orElseThrow(() -> new IllegalArgumentException(
                    "unknown runtime: " + name + " (available: " + Language.available() + ")")));
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException("--runtimes is empty");
        }
        return list;
    }
}
