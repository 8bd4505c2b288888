/**
 * The Docker implementation of the engine: hardened labelled containers, runs with the staging archive
 * on stdin, the fixed in-container scripts, the warm pool and the sweeps. With its {@code setup}
 * sub-package, the only code that imports docker-java.
 *
 * <p>Layout: {@code EngineEndpoint} is the one client factory (local socket, or {@code tcp://} with TLS);
 * {@code DockerEngine} wires the pool, {@code EngineProbe} (ping and image cache) and {@code Reaper}
 * (sweep and removals); {@code DockerSandbox} is one container, running executions through
 * {@code PhaseRunner} (with {@code Staging} and {@code PhaseCommands}) and files through
 * {@code ContainerFiles}, both over a {@code Spawner}: {@code ExecSpawner} (one {@code docker exec} per run,
 * through {@code ExecRunner}) or {@code AgentSpawner} (a run of {@code isol8-agent}, PID 1 of the container,
 * over its {@code AgentChannel} on the attach stream; {@code engine.executor}). {@code DockerFailures} is the one place where
 * docker-java's exceptions become {@code Isol8Exception}s or {@code ContainerGoneException}.
 * {@code FloorProbe} measures the engine's own floors for the benchmark.
 */
package io.isol8.engine.docker;
