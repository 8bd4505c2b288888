package io.isol8.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isol8.config.Isol8Config;
import io.isol8.core.ContainerPath;
import io.isol8.core.Isol8Exception.BadRequest;
import io.isol8.core.Language;
import io.isol8.core.PackageSpec;
import io.isol8.core.Source;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code request} object of an execution, validated field by field (api.md §5.1). Checks that
 * need the effective options (packages versus network) are left to the caller.
 *
 * @param runtime         the runtime
 * @param source          code (with its file extension) or command
 * @param timeoutMs       {@code request.timeoutMs} when given
 * @param stdin           standard input, "" when absent
 * @param env             extra environment, in request order
 * @param files           normalised absolute path to text, in request order
 * @param outputPaths     paths as the client wrote them (all valid), when requested
 * @param installPackages package names, possibly empty
 * @param setupScript     a non-empty setup script
 * @param workdir         normalised absolute working directory
 * @param remote          the code to fetch when the request names a {@code codeUrl} (the source is then empty code)
 */
record RequestFields(Language runtime, Source source, Optional<Long> timeoutMs, String stdin,
                     Map<String, String> env, Map<String, String> files, Optional<List<String>> outputPaths,
                     List<String> installPackages, Optional<String> setupScript, String workdir,
                     Optional<RemoteSource> remote) {
    private static final Set<String> KNOWN = Set.of("runtime", "code", "cmd", "codeUrl", "codeHash",
            "allowInsecureCodeUrl", "timeoutMs", "stdin", "env", "files", "outputPaths", "installPackages",
            "setupScript", "workdir", "fileExtension", "metadata", "agentFlags");
    private static final Pattern PACKAGE = Pattern.compile("^[A-Za-z0-9@][A-Za-z0-9@._/:=<>~^+!-]{0,199}$");
    private static final Pattern EXTENSION = Pattern.compile("^\\.[A-Za-z0-9]{1,10}$");
    private static final int MAX_OUTPUT_PATHS = 100;
    private static final int MAX_PACKAGES = 50;
    private static final Pattern SHA256 = Pattern.compile("^[0-9A-Fa-f]{64}$");

    RequestFields {
        env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
        outputPaths = outputPaths.map(List::copyOf);
        installPackages = List.copyOf(installPackages);
    }

    /**
     * Validates {@code request}.
     *
     * @param timeoutLimit {@code limits.timeoutMs}
     * @throws BadRequest with the exact api.md §5.1 message
     */
    static RequestFields parse(ObjectNode request, long timeoutLimit) {
        return parse(request, timeoutLimit, Isol8Config.RemoteCode.BUILT_IN);
    }

    /**
     * Validates {@code request}; {@code codeUrl} is accepted when {@code remoteCode.enabled}.
     *
     * @throws BadRequest with the exact api.md §5.1 message
     */
    static RequestFields parse(ObjectNode request, long timeoutLimit, Isol8Config.RemoteCode remoteCode) {
        JsonFields f = new JsonFields(request, "request.");
        f.rejectUnknown(KNOWN);
        Language runtime = runtime(f);
        Source source = source(f, runtime, remoteCode.enabled());
        Optional<String> codeHash = f.string("codeHash");
        boolean allowInsecure = f.bool("allowInsecureCodeUrl").orElse(false);
        Optional<Long> timeoutMs = f.integer("timeoutMs")
                .map(v -> ExecutionOptions.checkTimeout("request.timeoutMs", v, timeoutLimit));
        String stdin = f.string("stdin").orElse("");
        Map<String, String> env = f.stringMap("env").orElse(Map.of());
        env.forEach((name, value) -> {
            if (!EnvNames.valid(name)) {
                throw f.invalid("env", "key \"" + name + "\" is not a valid environment variable name");
            }
            noNul(f, "env", value);
        });
        Map<String, String> files = files(f);
        Optional<List<String>> outputPaths = outputPaths(f);
        List<String> packages = packages(f, runtime);
        Optional<String> setupScript = f.string("setupScript").filter(s -> !s.isEmpty());
        setupScript.ifPresent(s -> noNul(f, "setupScript", s));
        String workdir = f.string("workdir").map(raw -> ContainerPath.workdir(raw)
                        .orElseThrow(() -> new BadRequest("Working directory must be inside /sandbox")))
                .orElse(ContainerPath.SANDBOX);
        Optional<String> extension = f.string("fileExtension").map(e -> {
            if (!EXTENSION.matcher(e).matches()) {
                throw f.invalid("fileExtension", "must be a dot followed by 1-10 letters or digits");
            }
            return e;
        });
        f.stringMap("metadata");
        f.string("agentFlags");
        if (source instanceof Source.Code c && extension.isPresent()) {
            source = new Source.Code(c.text(), extension.get());
        }
        Optional<RemoteSource> remote = Optional.empty();
        Optional<String> url = f.string("codeUrl").filter(u -> !JsBlank.test(u));
        if (url.isPresent()) {
            if (codeHash.isPresent() && !SHA256.matcher(codeHash.get()).matches()) {
                throw f.invalid("codeHash", "must be a SHA-256 hash (64 hexadecimal digits)");
            }
            if (codeHash.isEmpty() && remoteCode.requireHash()) {
                throw new BadRequest("request.codeHash is required with request.codeUrl on this server "
                        + "(remoteCode.requireHash)");
            }
            remote = Optional.of(new RemoteSource(url.get(), codeHash.map(h -> h.toLowerCase(java.util.Locale.ROOT)),
                    allowInsecure, extension));
        }
        return new RequestFields(runtime, source, timeoutMs, stdin, env, files, outputPaths, packages, setupScript,
                workdir, remote);
    }

    private static Language runtime(JsonFields f) {
        String name = f.string("runtime").orElseThrow(() -> new BadRequest("request.runtime is required"));
        if (name.equals("agent")) {
            throw new BadRequest("Runtime \"agent\" is not supported by this server");
        }
        return Language.fromWire(name).orElseThrow(() -> new BadRequest(
                "Unknown runtime: \"" + name + "\". Available: " + Language.available()));
    }

    /** Exactly one of code, cmd and codeUrl, the way isol8 0.20 counts them: blank means absent. */
    private static Source source(JsonFields f, Language runtime, boolean remoteEnabled) {
        Optional<String> givenCode = f.string("code").filter(s -> !JsBlank.test(s));
        Optional<String> givenCmd = f.string("cmd").filter(s -> !JsBlank.test(s));
        boolean givenUrl = f.string("codeUrl").filter(s -> !JsBlank.test(s)).isPresent();
        int given = (givenCode.isPresent() ? 1 : 0) + (givenCmd.isPresent() ? 1 : 0) + (givenUrl ? 1 : 0);
        if (given > 1) {
            throw new BadRequest("ExecutionRequest.code, ExecutionRequest.codeUrl, and ExecutionRequest.cmd are "
                    + "mutually exclusive \u2014 provide exactly one.");
        }
        if (given == 0) {
            throw new BadRequest("ExecutionRequest must include exactly one of: code, codeUrl, or cmd.");
        }
        if (givenUrl && !remoteEnabled) {
            throw new BadRequest("Remote code fetching is disabled on this server. Send the source in request.code.");
        }
        if (givenUrl) {
            return new Source.Code("", CodeExtension.of(runtime, "")); // replaced by the fetched code
        }
        if (givenCmd.isPresent()) {
            noNul(f, "cmd", givenCmd.get());
            return new Source.Command(givenCmd.get());
        }
        String text = givenCode.get();
        noNul(f, "code", text);
        return new Source.Code(text, CodeExtension.of(runtime, text));
    }

    private static Map<String, String> files(JsonFields f) {
        Map<String, String> files = new LinkedHashMap<>();
        f.stringMap("files").orElse(Map.of()).forEach((raw, content) -> {
            String path = ContainerPath.resolve(raw).orElseThrow(() -> badPath(f, "files", raw));
            files.remove(path); // a later entry for the same file wins, in its own position
            files.put(path, content);
        });
        return files;
    }

    private static Optional<List<String>> outputPaths(JsonFields f) {
        Optional<List<String>> paths = f.stringList("outputPaths");
        paths.ifPresent(list -> {
            if (list.size() > MAX_OUTPUT_PATHS) {
                throw f.invalid("outputPaths", "allows at most " + MAX_OUTPUT_PATHS + " entries");
            }
            list.forEach(raw -> ContainerPath.resolve(raw).orElseThrow(() -> badPath(f, "outputPaths", raw)));
        });
        return paths;
    }

    private static List<String> packages(JsonFields f, Language runtime) {
        List<String> packages = f.stringList("installPackages").orElse(List.of());
        if (packages.size() > MAX_PACKAGES) {
            throw f.invalid("installPackages", "allows at most " + MAX_PACKAGES + " entries");
        }
        for (String name : packages) {
            if (!PACKAGE.matcher(name).matches()) {
                throw f.invalid("installPackages", "entry \"" + name + "\" is not a valid package name");
            }
        }
        if (!packages.isEmpty() && runtime == Language.BASH) {
            throw f.invalid("installPackages", "is not supported for runtime bash");
        }
        for (String name : packages) {
            if (!PackageSpec.valid(runtime, name)) {
                throw f.invalid("installPackages", "entry \"" + name + "\" is not a valid " + runtime.wireName()
                        + " package name");
            }
        }
        return packages;
    }

    private static BadRequest badPath(JsonFields f, String field, String raw) {
        return f.invalid(field, "path \"" + raw + "\" must be inside /sandbox or /tmp");
    }

    private static void noNul(JsonFields f, String field, String value) {
        if (value.indexOf('\0') >= 0) {
            throw f.invalid(field, "must not contain NUL characters");
        }
    }
}
