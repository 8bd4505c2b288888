package io.isol8.engine;

import io.isol8.core.ContainerSettings;
import io.isol8.core.ExecutionSpec;
import io.isol8.core.Network;
import io.isol8.core.Language;
import io.isol8.core.Source;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Validated execution specs for engine tests. */
final class Specs {
    static final ContainerSettings DEFAULTS = new ContainerSettings("isol8/python:1", 512L << 20, 1.0, 64,
            64L << 20, 64L << 20, Network.NONE, true);

    private Specs() {
    }

    static ExecutionSpec spec(Language runtime) {
        return spec(runtime, DEFAULTS, Map.of());
    }

    static ExecutionSpec spec(Language runtime, ContainerSettings container, Map<String, String> explicit) {
        return new ExecutionSpec(runtime, new Source.Code("print(1)", runtime.defaultExtension()), "", Map.of(),
                Map.of(), Map.of(), List.of(), false, List.of(), Optional.empty(), "/sandbox", 5_000, 1024,
                container, explicit);
    }
}
