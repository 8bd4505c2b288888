package io.isol8.config;

import io.isol8.config.Isol8Config.Packages;
import io.isol8.core.Language;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** {@code packages.*}: the registries the install phase may reach, the installers' mirrors and CA bundle. */
final class PackageKeys {
    private static final String URL = "an http:// or https:// URL with a host, such as https://pypi.internal/simple";

    private PackageKeys() {
    }

    static Packages read(Section s, Packages b) {
        Section registries = s.section("registries");
        Map<Language, List<String>> patterns = new EnumMap<>(Language.class);
        for (Language runtime : List.of(Language.PYTHON, Language.NODE, Language.BUN, Language.DENO)) {
            boolean set = registries.take(runtime.wireName()).isPresent(); // an empty value allows no registry
            patterns.put(runtime, set ? EgressKeys.patterns(registries, runtime.wireName())
                    : b.registries().get(runtime));
        }
        String indexUrl = url(s.section("python"), "indexUrl", b.pythonIndexUrl());
        String npm = url(s.section("npm"), "registry", b.npmRegistry());
        String denoNpm = url(s.section("deno"), "npmRegistry", b.denoNpmRegistry());
        String caFile = s.scalars().string(s.key("caFile"), s.take("caFile"), b.caFile(),
                        path -> path.isEmpty() || Path.of(path).isAbsolute() && Files.isReadable(Path.of(path)),
                        "empty or the absolute path of a readable PEM file")
                .orElse(b.caFile());
        return new Packages(patterns, indexUrl, npm, denoNpm, caFile);
    }

    private static String url(Section s, String name, String fallback) {
        return s.scalars().string(s.key(name), s.take(name), fallback, PackageKeys::validUrl, URL).orElse(fallback);
    }

    static boolean validUrl(String text) {
        if (text.isEmpty()) {
            return true;
        }
        try {
            URI uri = new URI(text);
            return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null
                    && uri.getUserInfo() == null;
        } catch (URISyntaxException e) {
            return false;
        }
    }
}
