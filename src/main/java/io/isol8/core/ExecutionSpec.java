package io.isol8.core;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A validated execution request: every value checked, merged over the configured defaults and within
 * the configured ceilings. No nulls.
 *
 * @param runtime         the runtime
 * @param source          code or command
 * @param stdin           standard input of the code phase ("" = empty)
 * @param env             extra environment, applied after the secrets
 * @param secrets         secret environment whose values are masked in output
 * @param files           absolute container path to UTF-8 text, in request order
 * @param outputPaths     absolute container paths to read back; empty when not requested
 * @param outputPathsRequested whether the request carried {@code outputPaths} (then {@code files} is in the result)
 * @param installPackages packages to install before the code
 * @param setupScript     bash script run before the code
 * @param workdir         absolute, normalised working directory under /sandbox
 * @param timeoutMs       deadline for all phases together
 * @param maxOutputBytes  cap per output stream
 * @param container       container-level settings
 * @param explicitContainerKeys container-level option keys the request set explicitly (for session conflicts)
 * @param logNetwork      whether the result lists the connections of a filtered network ({@code networkLogs})
 */
public record ExecutionSpec(Language runtime, Source source, String stdin, Map<String, String> env,
                            Map<String, String> secrets, Map<String, String> files, List<String> outputPaths,
                            boolean outputPathsRequested, List<String> installPackages,
                            Optional<String> setupScript, String workdir, long timeoutMs, long maxOutputBytes,
                            ContainerSettings container, Map<String, String> explicitContainerKeys,
                            boolean logNetwork) {
    public ExecutionSpec {
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(stdin, "stdin");
        env = Map.copyOf(env);
        secrets = Map.copyOf(secrets);
        files = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(files));
        outputPaths = List.copyOf(outputPaths);
        installPackages = List.copyOf(installPackages);
        Objects.requireNonNull(setupScript, "setupScript");
        Objects.requireNonNull(workdir, "workdir");
        Objects.requireNonNull(container, "container");
        explicitContainerKeys = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(explicitContainerKeys));
    }

    /** The same spec with another source (the code fetched from {@code request.codeUrl}). */
    public ExecutionSpec withSource(Source other) {
        return new ExecutionSpec(runtime, other, stdin, env, secrets, files, outputPaths, outputPathsRequested,
                installPackages, setupScript, workdir, timeoutMs, maxOutputBytes, container, explicitContainerKeys,
                logNetwork);
    }

    /** The same spec without {@code installPackages} (its image holds them already). */
    public ExecutionSpec withoutInstall() {
        return new ExecutionSpec(runtime, source, stdin, env, secrets, files, outputPaths, outputPathsRequested,
                List.of(), setupScript, workdir, timeoutMs, maxOutputBytes, container, explicitContainerKeys,
                logNetwork);
    }

    /** The same spec with {@code defaults} in its environment where the request's own {@code env} does not set them. */
    public ExecutionSpec withEnvBefore(Map<String, String> defaults) {
        Map<String, String> merged = new java.util.LinkedHashMap<>(defaults);
        merged.putAll(env);
        return new ExecutionSpec(runtime, source, stdin, merged, secrets, files, outputPaths, outputPathsRequested,
                installPackages, setupScript, workdir, timeoutMs, maxOutputBytes, container, explicitContainerKeys,
                logNetwork);
    }

    /** A spec that does not ask for network logs. */
    public ExecutionSpec(Language runtime, Source source, String stdin, Map<String, String> env,
                         Map<String, String> secrets, Map<String, String> files, List<String> outputPaths,
                         boolean outputPathsRequested, List<String> installPackages,
                         Optional<String> setupScript, String workdir, long timeoutMs, long maxOutputBytes,
                         ContainerSettings container, Map<String, String> explicitContainerKeys) {
        this(runtime, source, stdin, env, secrets, files, outputPaths, outputPathsRequested, installPackages,
                setupScript, workdir, timeoutMs, maxOutputBytes, container, explicitContainerKeys, false);
    }
}
