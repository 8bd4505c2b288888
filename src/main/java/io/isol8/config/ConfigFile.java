package io.isol8.config;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.yaml.YamlConfigParser;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one YAML file into a Helidon {@link Config} built from that file alone: no environment variables, no
 * system properties, no {@code ${...}} resolution, whatever the file is called.
 */
final class ConfigFile {
    private static final Pattern MARK = Pattern.compile("\\s*in '[^']*', (line \\d+, column \\d+):?\\s*");

    private ConfigFile() {
    }

    /** The parsed file, or empty after recording why a file that is not YAML (or not a mapping) cannot be used. */
    static Optional<Config> read(Path file, Problems problems) {
        try {
            return Optional.of(Config.builder()
                    .disableEnvironmentVariablesSource()
                    .disableSystemPropertiesSource()
                    .disableValueResolving()
                    .disableKeyResolving()
                    .disableParserServices()
                    .disableFilterServices()
                    .disableMapperServices()
                    .disableCaching()
                    .sources(ConfigSources.file(file).parser(YamlConfigParser.create()))
                    .build());
        } catch (io.helidon.config.ConfigException e) {
            problems.add(describe(e));
            return Optional.empty();
        }
    }

    /**
     * The parser's complaint without the quoted source lines, which could hold a key: {@code not valid YAML:
     * while parsing a flow node (line 2, column 1); expected the node content, but found '<stream end>' (...)}.
     */
    static String describe(Throwable failure) {
        Throwable cause = failure;
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ClassCastException) {
                return "the file must be a mapping of keys (such as \"port: 3000\") at the top level";
            }
            cause = t;
        }
        List<String> parts = new ArrayList<>();
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        for (String line : message.split("\\R")) {
            Matcher mark = MARK.matcher(line);
            if (mark.matches() && !parts.isEmpty()) {
                parts.set(parts.size() - 1, parts.getLast() + " (" + mark.group(1) + ")");
            } else if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
                parts.add(line.strip());
            }
        }
        return "not valid YAML: " + String.join("; ", parts);
    }
}
