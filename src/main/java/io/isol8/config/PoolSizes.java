package io.isol8.config;

import io.helidon.config.Config;
import io.isol8.core.Language;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code pool.size}: one integer for every runtime, or a mapping runtime → integer (missing runtimes → 0). */
final class PoolSizes {
    private static final Range RANGE = Range.between(0, 32);
    private static final String EXPECTED = "an integer from 0 to 32, or a mapping of runtime to integer such as "
            + "{python: 4, bash: 1}";

    private PoolSizes() {
    }

    static Map<Language, Integer> read(Section pool, int fallback) {
        String key = pool.key("size");
        Optional<Config> node = pool.take("size");
        Scalars scalars = pool.scalars();
        if (node.isPresent() && node.get().type() == Config.Type.OBJECT) {
            return perRuntime(node.get(), key, scalars);
        }
        long size = scalars.read(key, node, (long) fallback, String::valueOf, Quantity.INTEGER::parse, EXPECTED,
                RANGE::contains, EXPECTED).orElse((long) fallback);
        return uniform((int) size);
    }

    /** {@code pool.images}: a list of {@code {image: REF, size: N}}; an image listed twice is a problem. */
    static Map<String, Integer> images(Section pool) {
        Map<String, Integer> sizes = new java.util.LinkedHashMap<>();
        List<Config> items = pool.list("images", "a list of {image: <package image>, size: <0-32>}").orElse(List.of());
        for (int i = 0; i < items.size(); i++) {
            Section item = new Section(items.get(i), pool.key("images") + "[" + i + "].", pool.scalars());
            Optional<Config> node = item.take("image");
            if (node.isEmpty()) {
                pool.scalars().problems().add(item.key("image") + " is missing (expected a package image reference)");
            }
            Optional<String> image = node.flatMap(n -> pool.scalars().string(item.key("image"), Optional.of(n), "",
                    ref -> !ref.isEmpty() && ref.chars().noneMatch(Character::isWhitespace),
                    "a Docker image reference such as isol8-pkg:requests"));
            Optional<Long> size = item.whole("size", 1, Quantity.INTEGER, RANGE);
            item.finish();
            if (image.isPresent() && size.isPresent() && sizes.put(image.get(), size.get().intValue()) != null) {
                pool.scalars().problems().add(pool.key("images") + " lists " + Problems.quote(image.get()) + " twice");
            }
        }
        return sizes;
    }

    private static Map<Language, Integer> perRuntime(Config map, String key, Scalars scalars) {
        Map<Language, Integer> sizes = uniform(0);
        for (Config entry : map.asNodeList().orElse(List.of())) {
            Optional<Language> runtime = Language.fromWire(entry.name());
            if (runtime.isEmpty()) {
                scalars.problems().add(key + " names unknown runtime " + Problems.quote(entry.name())
                        + " (expected " + Language.available() + ")");
                continue;
            }
            scalars.whole(key + "." + entry.name(), Optional.of(entry), 0, Quantity.INTEGER, RANGE)
                    .ifPresent(size -> sizes.put(runtime.get(), size.intValue()));
        }
        return sizes;
    }

    private static Map<Language, Integer> uniform(int size) {
        Map<Language, Integer> sizes = new EnumMap<>(Language.class);
        Arrays.stream(Language.values()).forEach(runtime -> sizes.put(runtime, size));
        return sizes;
    }
}
