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
        return new Isol8Config.Images(base, byRuntime, prebuilt(s, base, byRuntime));
    }

    /**
     * {@code images.prebuilt}: entries {@code {runtime, packages: [..], setup, tag}}; a bad entry is reported (key,
     * value, what was expected) and left out.
     */
    private static List<Isol8Config.Prebuilt> prebuilt(Section s, String base, Map<Language, String> runtimeImages) {
        String key = s.key("prebuilt");
        List<Config> items = s.list("prebuilt", "a list of {runtime, packages, setup, tag} entries").orElse(List.of());
        List<Isol8Config.Prebuilt> entries = new ArrayList<>();
        java.util.Set<String> tags = new java.util.HashSet<>(runtimeImages.values());
        tags.add(base);
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            String at = key + "[" + i + "]";
            Config item = items.get(i);
            if (item.type() != Config.Type.OBJECT) {
                s.scalars().problems().badValue(at, Problems.shown(item), "a mapping with runtime, packages and tag");
                continue;
            }
            Section entry = new Section(item, at + ".", s.scalars());
            Optional<Language> runtime = required(entry, "runtime").flatMap(node -> entry.scalars().read(
                    entry.key("runtime"), Optional.of(node), Language.PYTHON, Language::wireName,
                    name -> Language.fromWire(name).filter(r -> r != Language.BASH), "one of python, node, bun, deno",
                    r -> true, ""));
            List<String> packages = new ArrayList<>();
            List<Config> names = entry.list("packages", "a list of package names").orElse(List.of());
            for (int n = 0; n < names.size(); n++) {
                entry.scalars().string(entry.key("packages") + "[" + n + "]", Optional.of(names.get(n)), "",
                        text -> !text.isBlank(), "a package name").ifPresent(packages::add);
            }
            Optional<Config> setupNode = entry.take("setup");
            Optional<String> setup = setupNode.isPresent()
                    ? entry.scalars().string(entry.key("setup"), setupNode, "", ImageKeys::readableFile,
                    "the absolute path of a readable bash script") : Optional.empty();
            boolean setupBad = setupNode.isPresent() && setup.isEmpty();
            Optional<String> tag = required(entry, "tag").flatMap(node -> entry.scalars().string(entry.key("tag"),
                    Optional.of(node), "", t -> valid(t) && !tags.contains(t),
                    "a Docker image reference other than images.base and the runtime images"));
            entry.finish();
            if (names.isEmpty()) {
                s.scalars().problems().add(entry.key("packages") + " is missing (expected a non-empty list of "
                        + "package names)");
                continue;
            }
            if (runtime.isEmpty() || tag.isEmpty() || setupBad || packages.size() != names.size()) {
                continue;
            }
            if (!seen.add(tag.get())) {
                s.scalars().problems().badValue(entry.key("tag"), Problems.quote(tag.get()), "a tag no other "
                        + key + " entry has");
                continue;
            }
            try {
                entries.add(new Isol8Config.Prebuilt(io.isol8.core.PackageSet.of(runtime.get(), packages), setup,
                        tag.get()));
            } catch (IllegalArgumentException e) {
                s.scalars().problems().add(entry.key("packages") + ": " + e.getMessage());
            }
        }
        return entries;
    }

    private static boolean readableFile(String path) {
        java.nio.file.Path p = java.nio.file.Path.of(path);
        return p.isAbsolute() && java.nio.file.Files.isRegularFile(p) && java.nio.file.Files.isReadable(p);
    }

    /** The node of a key every entry must have; its absence is reported. */
    private static Optional<Config> required(Section entry, String name) {
        Optional<Config> node = entry.take(name);
        if (node.isEmpty()) {
            entry.scalars().problems().add(entry.key(name) + " is missing");
        }
        return node;
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
