package io.isol8.config;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds and reads the one configuration file (config.md §1, §3, §4). Files are never layered: the first file
 * found is the whole configuration, and keys it leaves out take their built-in defaults.
 */
public final class ConfigLoader {
    static final String ENV_VARIABLE = "ISOL8_CONFIG";

    private ConfigLoader() {
    }

    /**
     * The file to read: {@code --config}, else {@code $ISOL8_CONFIG}, else {@code ./config/isol8.yaml}, else
     * {@code ~/.isol8/isol8.yaml}, else none (built-in defaults). Relative paths are resolved against {@code cwd}.
     *
     * @param flag the value of {@code --config}, if given
     * @param env  the process environment (only {@code ISOL8_CONFIG} is read; an empty value counts as unset)
     * @param cwd  the working directory
     * @param home the user's home directory
     * @return the absolute path of the file, or empty for the built-in defaults
     * @throws ConfigException if {@code --config} or {@code ISOL8_CONFIG} names a missing or unreadable file
     */
    public static Optional<Path> locate(Optional<String> flag, Map<String, String> env, Path cwd, Path home) {
        if (flag.isPresent()) {
            return Optional.of(required(flag.get(), "--config", cwd));
        }
        String fromEnv = env.get(ENV_VARIABLE);
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return Optional.of(required(fromEnv, ENV_VARIABLE, cwd));
        }
        return Stream.of(cwd.resolve("config").resolve("isol8.yaml"), home.resolve(".isol8").resolve("isol8.yaml"))
                .filter(ConfigLoader::readable)
                .map(ConfigLoader::absolute)
                .findFirst();
    }

    /**
     * The configuration in {@code file}, or the built-in defaults when there is no file. Reads the file once,
     * blocking; nothing but the file contributes (no environment variables, no system properties).
     *
     * @throws ConfigException listing every problem when the file is missing, is not YAML or is invalid
     */
    public static Isol8Config load(Optional<Path> file) {
        if (file.isEmpty()) {
            return Isol8Config.builtIn();
        }
        Path path = absolute(file.get());
        if (!readable(path)) {
            throw new ConfigException("Config file not found: " + path);
        }
        String source = path.toString();
        Problems problems = new Problems(source);
        Optional<Isol8Config> config = ConfigFile.read(path, problems)
                .map(root -> ConfigBinder.bind(new Section(root, "", new Scalars(problems)), source));
        problems.throwIfAny();
        return config.orElseThrow();
    }

    private static Path required(String raw, String origin, Path cwd) {
        try {
            Path path = cwd.resolve(raw);
            if (!raw.isEmpty() && readable(path)) {
                return absolute(path);
            }
        } catch (InvalidPathException e) {
            // reported below like any other file that cannot be found
        }
        throw new ConfigException("Config file not found: " + raw + " (from " + origin + ")");
    }

    private static boolean readable(Path path) {
        return Files.isRegularFile(path) && Files.isReadable(path);
    }

    private static Path absolute(Path path) {
        return path.toAbsolutePath().normalize();
    }
}
