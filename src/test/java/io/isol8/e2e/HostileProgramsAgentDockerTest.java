package io.isol8.e2e;

import io.isol8.config.Isol8Config;

/** {@link HostileProgramsDockerTest} with {@code engine.executor: agent}. */
class HostileProgramsAgentDockerTest extends HostileProgramsDockerTest {
    @Override
    Isol8Config.Executor executor() {
        return Isol8Config.Executor.AGENT;
    }
}
