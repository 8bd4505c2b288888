package io.isol8.config;

import io.helidon.config.Config;
import io.isol8.core.Language;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code images.*} and {@code limits.allowedImages}: Docker image references. */
final class ImageKeys {
    private static final Isol8Config.Images BUILT_IN = Isol8Config.builtIn().images();
    private static final String EXPECTED = "a Docker image reference such as isol8:python";

    private ImageKeys() {
    }

    static Isol8Config.Images read(Section s) {
        String base = reference(s, "base", BUILT_IN.base());
        Map<Language, String> byRuntime = new EnumMap<>(Language.class);
        for (Language runtime : Language.values()) {
            byRuntime.put(runtime, reference(s, runtime.wireName(), BUILT_IN.of(runtime)));
        }
        return new Isol8Config.Images(base, byRuntime);
    }

    /** A list of image references; a bad entry is reported and left out. */
    static List<String> references(Section s, String name) {
        List<Config> items = s.list(name, "a list of Docker image references").orElse(List.of());
        List<String> references = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            s.scalars().string(s.key(name) + "[" + i + "]", Optional.of(items.get(i)), "", ImageKeys::valid, EXPECTED)
                    .ifPresent(references::add);
        }
        return references;
    }

    private static String reference(Section s, String name, String fallback) {
        return s.scalars().string(s.key(name), s.take(name), fallback, ImageKeys::valid, EXPECTED).orElse(fallback);
    }

    private static boolean valid(String reference) {
        return !reference.isEmpty() && reference.chars().noneMatch(Character::isWhitespace);
    }
}
