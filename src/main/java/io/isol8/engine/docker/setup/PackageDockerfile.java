package io.isol8.engine.docker.setup;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.isol8.config.Isol8Config;
import io.isol8.core.Language;
import io.isol8.core.PackageSet;
import io.isol8.engine.docker.PackageImages;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Dockerfile of a package image. Every step is exec-form ({@code RUN ["argv", …]}): package names and mirror
 * URLs are single JSON strings handed to the installer, never parsed by a shell. Packages go where the code phase
 * finds them without touching {@code /sandbox} (a tmpfs at run time): python into the system's dist-packages,
 * node and bun into {@code /node_modules} (resolution from {@code /sandbox} walks up to it), deno into a module
 * cache at {@link PackageImages#DENO_DIR}. Build inputs live under {@code /tmp/.isol8} (a tmpfs at run time too)
 * and are deleted by the last step.
 */
final class PackageDockerfile {
    /** Where the build context's files go inside the image during the build. */
    static final String BUILD_DIR = "/tmp/.isol8";
    /** The context folder COPYed to {@link #BUILD_DIR}. */
    static final String CONTEXT_DIR = "isol8-build";
    static final String SETUP = "setup.sh";
    static final String CA = "install-ca.pem";
    static final String NODE_DIR = "/opt/isol8-packages";

    private PackageDockerfile() {
    }

    /**
     * @param fromId     the runtime image id
     * @param packages   what to install
     * @param installEnv the installer's environment (mirrors, CA; {@link Isol8Config.Packages#env})
     * @param copies     whether the context has an {@value #CONTEXT_DIR} folder (CA bundle or setup script)
     * @param setup      whether a setup script runs after the install
     */
    static byte[] render(String fromId, PackageSet packages, Map<String, String> installEnv, boolean copies,
                         boolean setup) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", BUILD_DIR + "/home");
        StringBuilder df = new StringBuilder();
        df.append("FROM ").append(fromId).append('\n');
        if (copies) {
            df.append("COPY ").append(CONTEXT_DIR).append(' ').append(BUILD_DIR).append('\n');
        }
        Language runtime = packages.runtime();
        List<String> installer = new ArrayList<>();
        switch (runtime) {
            case PYTHON -> installer.addAll(List.of("python3", "-m", "pip", "install", "--no-cache-dir",
                    "--break-system-packages", "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
                    "--root-user-action=ignore"));
            case NODE -> {
                env.put("NPM_CONFIG_CACHE", BUILD_DIR + "/npm-cache");
                run(df, List.of("mkdir", "-p", NODE_DIR));
                installer.addAll(List.of("npm", "install", "--prefix", NODE_DIR, "--no-audit", "--no-fund"));
            }
            case BUN -> {
                env.put("BUN_INSTALL_CACHE_DIR", BUILD_DIR + "/bun-cache");
                run(df, List.of("mkdir", "-p", NODE_DIR));
                installer.addAll(List.of("bun", "add", "--cwd", NODE_DIR));
            }
            case DENO -> {
                env.put("DENO_DIR", PackageImages.DENO_DIR);
                env.put("DENO_NO_UPDATE_CHECK", "1");
                installer.addAll(List.of("deno", "cache"));
            }
            case BASH -> throw new IllegalArgumentException("bash has no package installer");
        }
        env.putAll(installEnv);
        installer.addAll(packages.entries());
        run(df, withEnv(env, installer));
        if (runtime == Language.NODE || runtime == Language.BUN) {
            run(df, List.of("mv", NODE_DIR + "/node_modules", "/node_modules"));
        }
        if (runtime == Language.DENO) {
            run(df, List.of("chmod", "-R", "a+rX", PackageImages.DENO_DIR));
        }
        if (setup) {
            run(df, withEnv(env, List.of("bash", BUILD_DIR + "/" + SETUP)));
        }
        run(df, List.of("rm", "-rf", BUILD_DIR));
        return df.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> withEnv(Map<String, String> env, List<String> argv) {
        List<String> all = new ArrayList<>();
        all.add("/usr/bin/env");
        env.forEach((k, v) -> all.add(k + "=" + v));
        all.addAll(argv);
        return all;
    }

    private static void run(StringBuilder df, List<String> argv) {
        df.append("RUN [");
        for (int i = 0; i < argv.size(); i++) {
            df.append(i == 0 ? "" : ", ").append(json(argv.get(i)));
        }
        df.append("]\n");
    }

    /** A JSON string literal. */
    static String json(String s) {
        return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
    }
}
