/**
 * The Docker implementation of the engine: hardened labelled containers, execs with the staging archive
 * on stdin, the fixed in-container scripts, the warm pool and the sweeps. With its {@code setup}
 * sub-package, the only code that imports docker-java (besides the benchmark's floor measurement).
 *
 * <p>Layout: {@code DockerEngine} wires the pool, {@code EngineProbe} (ping and image cache) and
 * {@code Reaper} (sweep and removals); {@code DockerSandbox} is one container, running executions through
 * {@code PhaseRunner} (with {@code Staging} and {@code PhaseCommands}) and files through
 * {@code ContainerFiles}; {@code ExecRunner} runs one exec. {@code DockerFailures} is the one place where
 * docker-java's exceptions become {@code Isol8Exception}s or {@code ContainerGoneException}.
 */
package io.isol8.engine.docker;
