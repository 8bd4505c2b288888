package io.isol8.e2e;

import io.isol8.config.Isol8Config;

/** The filtered network with {@code engine.executor: exec}. */
class FilteredNetworkExecDockerTest extends FilteredNetworkDockerTest {
    @Override
    Isol8Config.Executor executor() {
        return Isol8Config.Executor.EXEC;
    }
}
