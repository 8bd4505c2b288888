package io.isol8.e2e;

import io.isol8.config.Isol8Config;

/** {@link SessionsDockerTest} with {@code engine.executor: exec}. */
class SessionsExecDockerTest extends SessionsDockerTest {
    @Override
    Isol8Config.Executor executor() {
        return Isol8Config.Executor.EXEC;
    }
}
