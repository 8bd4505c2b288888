package io.isol8.e2e;

import io.isol8.config.Isol8Config;

/** {@link ExecutionDockerTest} with {@code engine.executor: agent}. */
class ExecutionAgentDockerTest extends ExecutionDockerTest {
    @Override
    Isol8Config.Executor executor() {
        return Isol8Config.Executor.AGENT;
    }
}
