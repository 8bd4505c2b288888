package io.isol8.engine.docker;

import io.isol8.core.Language;
import io.isol8.core.PackageSet;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackageImagesTest {
    private static final String RUNTIME_ID = "sha256:" + "a".repeat(64);

    private static PackageImages.Listed image(String id, Language runtime, String from, long size, String... packages) {
        return new PackageImages.Listed(id, List.of(id + ":tag"), runtime, PackageSet.of(runtime, List.of(packages)),
                from, size, 0);
    }

    @Test
    void labelsMakeAListedImage() {
        Optional<PackageImages.Listed> listed = PackageImages.parse("sha256:1", List.of("pkg:a"), Map.of(
                PackageImages.RUNTIME, "python", PackageImages.PACKAGES, "numpy>=1.26,<2,requests",
                PackageImages.FROM, RUNTIME_ID), 10, 20);

        assertEquals(List.of("numpy>=1.26,<2", "requests"), listed.orElseThrow().packages().entries());
        assertEquals(Language.PYTHON, listed.get().runtime());
    }

    @Test
    void imagesWithMissingOrBadLabelsAreIgnored() {
        assertTrue(PackageImages.parse("x", List.of(), Map.of(PackageImages.RUNTIME, "python",
                PackageImages.PACKAGES, "requests"), 1, 1).isEmpty());
        assertTrue(PackageImages.parse("x", List.of(), Map.of(PackageImages.RUNTIME, "cobol",
                PackageImages.PACKAGES, "requests", PackageImages.FROM, RUNTIME_ID), 1, 1).isEmpty());
        assertTrue(PackageImages.parse("x", List.of(), Map.of(PackageImages.RUNTIME, "bun",
                PackageImages.PACKAGES, "is-number;rm -rf /", PackageImages.FROM, RUNTIME_ID), 1, 1).isEmpty());
        assertTrue(PackageImages.parse("x", List.of(), Map.of(PackageImages.RUNTIME, "bash",
                PackageImages.PACKAGES, "x", PackageImages.FROM, RUNTIME_ID), 1, 1).isEmpty());
    }

    @Test
    void theSmallestCoveringImageWins() {
        List<PackageImages.Listed> listed = List.of(
                image("big", Language.BUN, RUNTIME_ID, 300, "is-number@7.0.0", "lodash@4.17.21"),
                image("small", Language.BUN, RUNTIME_ID, 200, "is-number@7.0.0"),
                image("tiny-other", Language.BUN, RUNTIME_ID, 100, "lodash@4.17.21"));

        assertEquals("small", PackageImages.choose(listed, Optional.of(RUNTIME_ID), Language.BUN,
                List.of("is-number")).orElseThrow().id());
        assertEquals("big", PackageImages.choose(listed, Optional.of(RUNTIME_ID), Language.BUN,
                List.of("is-number", "lodash@4.17.21")).orElseThrow().id());
    }

    @Test
    void staleImagesOtherRuntimesAndUncoveredRequestsAreNotChosen() {
        List<PackageImages.Listed> listed = List.of(
                image("stale", Language.BUN, "sha256:" + "b".repeat(64), 1, "is-number@7.0.0"),
                image("node", Language.NODE, RUNTIME_ID, 1, "is-number@7.0.0"));

        assertTrue(PackageImages.choose(listed, Optional.of(RUNTIME_ID), Language.BUN, List.of("is-number")).isEmpty());
        assertTrue(PackageImages.choose(listed, Optional.empty(), Language.NODE, List.of("is-number")).isEmpty());
        assertTrue(PackageImages.choose(listed, Optional.of(RUNTIME_ID), Language.NODE,
                List.of("is-number", "is-odd")).isEmpty());
        assertEquals("node", PackageImages.choose(listed, Optional.of(RUNTIME_ID), Language.NODE,
                List.of("is-number@7.0.0")).orElseThrow().id());
    }

    @Test
    void referencesWithoutTagMeanLatest() {
        assertEquals("isol8:python", PackageImages.withTag("isol8:python"));
        assertEquals("registry:5000/isol8:latest", PackageImages.withTag("registry:5000/isol8"));
    }
}
