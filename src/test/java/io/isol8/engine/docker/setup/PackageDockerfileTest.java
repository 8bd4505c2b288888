package io.isol8.engine.docker.setup;

import io.isol8.config.Isol8Config;
import io.isol8.core.Language;
import io.isol8.core.PackageSet;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackageDockerfileTest {
    private static final String FROM = "sha256:" + "c".repeat(64);

    private static String render(Language runtime, boolean setup, String... packages) {
        return new String(PackageDockerfile.render(FROM, PackageSet.of(runtime, List.of(packages)),
                Map.of("NPM_CONFIG_REGISTRY", "https://npm.internal/a\"b"), true, setup), StandardCharsets.UTF_8);
    }

    @Test
    void everyStepIsExecFormAndPackagesAreSeparateArguments() {
        String df = render(Language.PYTHON, true, "requests==2.32.3", "numpy>=1.26,<2");

        assertTrue(df.startsWith("FROM " + FROM + "\n"), df);
        df.lines().filter(l -> l.startsWith("RUN ")).forEach(l -> assertTrue(l.startsWith("RUN [\""), l));
        assertTrue(df.contains("\"--break-system-packages\""), df);
        assertTrue(df.contains(", \"numpy>=1.26,<2\", \"requests==2.32.3\"]"), df);
        assertTrue(df.contains("\"bash\", \"/tmp/.isol8/setup.sh\"]"), df);
        assertTrue(df.contains("\"NPM_CONFIG_REGISTRY=https://npm.internal/a\\\"b\""), df);
        assertTrue(df.strip().endsWith("RUN [\"rm\", \"-rf\", \"/tmp/.isol8\"]"), df);
    }

    @Test
    void nodeModulesEndUpAboveTheSandbox() {
        String df = render(Language.BUN, false, "is-number@7.0.0");

        assertTrue(df.contains("\"bun\", \"add\", \"--cwd\", \"/opt/isol8-packages\", \"is-number@7.0.0\"]"), df);
        assertTrue(df.contains("RUN [\"mv\", \"/opt/isol8-packages/node_modules\", \"/node_modules\"]"), df);
        assertFalse(df.contains("setup.sh"), df);
    }

    @Test
    void denoCachesIntoTheImagesModuleCache() {
        String df = render(Language.DENO, false, "npm:is-number@7.0.0");

        assertTrue(df.contains("\"DENO_DIR=/opt/isol8-deno\""), df);
        assertTrue(df.contains("\"deno\", \"cache\", \"npm:is-number@7.0.0\"]"), df);
    }

    @Test
    void theCaBundleLandsWhereTheInstallerEnvironmentPointsAt() {
        assertEquals(Isol8Config.Packages.CA_PATH, PackageDockerfile.BUILD_DIR + "/" + PackageDockerfile.CA);
    }

    @Test
    void theHashFollowsRuntimeImagePackagesAndScript() {
        PackageSet a = PackageSet.of(Language.BUN, List.of("is-number@7.0.0"));
        String base = PackageBuild.hash(FROM, a, null);

        assertEquals(base, PackageBuild.hash(FROM, PackageSet.of(Language.BUN, List.of("is-number@7.0.0")), null));
        assertNotEquals(base, PackageBuild.hash("sha256:" + "d".repeat(64), a, null));
        assertNotEquals(base, PackageBuild.hash(FROM, PackageSet.of(Language.BUN, List.of("is-number@6.0.0")), null));
        assertNotEquals(base, PackageBuild.hash(FROM, a, "echo hi\n".getBytes(StandardCharsets.UTF_8)));
    }
}
