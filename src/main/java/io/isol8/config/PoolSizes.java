package io.isol8.config;

import io.helidon.config.Config;
import io.isol8.core.Runtime;

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

    static Map<Runtime, Integer> read(Section pool, int fallback) {
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

    private static Map<Runtime, Integer> perRuntime(Config map, String key, Scalars scalars) {
        Map<Runtime, Integer> sizes = uniform(0);
        for (Config entry : map.asNodeList().orElse(List.of())) {
            Optional<Runtime> runtime = Runtime.fromWire(entry.name());
            if (runtime.isEmpty()) {
                scalars.problems().add(key + " names unknown runtime " + Problems.quote(entry.name())
                        + " (expected " + Runtime.available() + ")");
                continue;
            }
            scalars.whole(key + "." + entry.name(), Optional.of(entry), 0, Quantity.INTEGER, RANGE)
                    .ifPresent(size -> sizes.put(runtime.get(), size.intValue()));
        }
        return sizes;
    }

    private static Map<Runtime, Integer> uniform(int size) {
        Map<Runtime, Integer> sizes = new EnumMap<>(Runtime.class);
        Arrays.stream(Runtime.values()).forEach(runtime -> sizes.put(runtime, size));
        return sizes;
    }
}
