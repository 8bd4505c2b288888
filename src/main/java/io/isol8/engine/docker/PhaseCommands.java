package io.isol8.engine.docker;

import io.isol8.core.ExecutionSpec;
import io.isol8.core.Network;
import io.isol8.core.Source;

import java.util.ArrayList;
import java.util.List;

/** The command each runtime runs in the code and install phases (sandbox.md §2, §6). */
final class PhaseCommands {
    private PhaseCommands() {
    }

    /** The code phase's command; {@code @cmd} makes the launcher run the staged command. */
    static List<String> code(ExecutionSpec spec) {
        if (spec.source() instanceof Source.Command) {
            return List.of("@cmd");
        }
        String file = Staging.codeFile(spec).orElseThrow();
        return switch (spec.runtime()) {
            case PYTHON -> List.of("python3", file);
            case NODE -> List.of("node", file);
            case BUN -> List.of("bun", "run", file);
            case BASH -> List.of("bash", file);
            case DENO -> {
                List<String> cmd = new ArrayList<>(List.of("deno", "run", "--no-prompt",
                        "--allow-read=/sandbox,/tmp", "--allow-write=/sandbox,/tmp", "--allow-env"));
                if (spec.container().network() != Network.NONE) {
                    cmd.add("--allow-net");
                }
                cmd.add(file);
                yield cmd;
            }
        };
    }

    /** The install phase's command: the runtime's package manager and the validated package names. */
    static List<String> install(ExecutionSpec spec) {
        List<String> cmd = new ArrayList<>(switch (spec.runtime()) {
            case PYTHON -> List.of("python3", "-m", "pip", "install", "--user", "--no-cache-dir",
                    "--break-system-packages", "--disable-pip-version-check", "--no-input", "--progress-bar", "off");
            case NODE -> List.of("npm", "install", "--prefix", "/sandbox", "--no-audit", "--no-fund");
            case BUN -> List.of("bun", "add", "--cwd", "/sandbox");
            case DENO -> List.of("deno", "cache");
            case BASH -> throw new IllegalArgumentException("bash has no package installer");
        });
        cmd.addAll(spec.installPackages());
        return cmd;
    }
}
