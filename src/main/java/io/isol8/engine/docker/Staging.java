package io.isol8.engine.docker;

import io.isol8.core.ExecutionSpec;
import io.isol8.core.Source;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How an execution's input gets into the container (sandbox.md §3): the staging archive of files, stdin,
 * setup script, command and code, and the launcher command line that reads it from the exec's stdin.
 * User data travels only in the archive, never in the command line.
 */
final class Staging {
    static final String DIR = "/tmp/.isol8/";
    static final String SETUP_SCRIPT = DIR + "setup.sh";

    private Staging() {
    }

    /** The staging archive of an execution, entries in the order of sandbox.md §3.2. */
    static StagingArchive archive(ExecutionSpec spec) {
        return archive(spec, true);
    }

    /**
     * The staging archive without the stdin and cmd entries: the agent hands the program its stdin and the command
     * line directly (sandbox.md §15), so only files, the setup script and the code are written.
     */
    static StagingArchive agentArchive(ExecutionSpec spec) {
        return archive(spec, false);
    }

    private static StagingArchive archive(ExecutionSpec spec, boolean stdinAndCmd) {
        StagingArchive archive = new StagingArchive();
        spec.files().forEach((path, text) -> archive.add(path, utf8(text)));
        if (stdinAndCmd && !spec.stdin().isEmpty()) {
            archive.add(DIR + "stdin", utf8(spec.stdin()));
        }
        spec.setupScript().ifPresent(s -> archive.add(SETUP_SCRIPT, utf8(s)));
        switch (spec.source()) {
            case Source.Command c -> {
                if (stdinAndCmd) {
                    archive.add(DIR + "cmd", utf8(c.command()));
                }
            }
            case Source.Code c -> archive.add(codeFile(spec).orElseThrow(), utf8(c.text()));
        }
        return archive;
    }

    /** Where the code is staged ({@code <workdir>/.isol8_main<ext>}); empty for a {@code cmd}. */
    static Optional<String> codeFile(ExecutionSpec spec) {
        if (spec.source() instanceof Source.Code c) {
            String dir = spec.workdir().endsWith("/") ? spec.workdir() : spec.workdir() + "/";
            return Optional.of(dir + ".isol8_main" + c.extension());
        }
        return Optional.empty();
    }

    /**
     * The launcher's command line (sandbox.md §3.3).
     *
     * @param stagedBytes  bytes of archive the exec's stdin carries (0: nothing staged)
     * @param programStdin whether the program reads the staged stdin file (else /dev/null)
     * @param backstopSecs seconds for the in-container {@code timeout -s KILL} backstop
     * @param removeAfter  a path to delete when the program ends, or {@code -}
     */
    static List<String> launcher(int stagedBytes, String workdir, boolean programStdin, long backstopSecs,
                                 String removeAfter, List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", Scripts.LAUNCHER, "isol8",
                Integer.toString(stagedBytes), workdir, programStdin ? "file" : "none", Long.toString(backstopSecs),
                removeAfter));
        cmd.addAll(command);
        return cmd;
    }

    /** The environment of every phase: the base environment, then secrets, then the request's env (§4). */
    static List<String> env(ExecutionSpec spec) {
        Map<String, String> env = new LinkedHashMap<>(Containers.BASE_ENV);
        env.putAll(spec.secrets());
        env.putAll(spec.env());
        return Containers.env(env);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
