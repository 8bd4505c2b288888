package io.isol8.engine;

/**
 * What {@link Executions#run} returns: how the run ended and in which container.
 *
 * @param containerId the full id of the container the program ran in
 * @param outcome     how the run ended
 */
public record Finished(String containerId, RunOutcome outcome) {
}
