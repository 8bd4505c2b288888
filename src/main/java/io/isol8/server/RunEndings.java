package io.isol8.server;

import io.isol8.core.ExecutionSpec;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.Phase;
import io.isol8.engine.RunOutcome;
import io.isol8.engine.RunOutcome.FailedPhase;
import io.isol8.engine.SecretMasker;

/**
 * The closing events of a streamed run (api.md §8.3), shared by the Server-Sent Events route and the WebSocket:
 * the marker {@code error} of a timeout, OOM kill, failed setup or install, deleted session or shutdown, then the
 * {@code exit}. A run whose client went away gets nothing.
 */
final class RunEndings {
    private static final int INSTALL_TAIL = 2048;

    /** Where the closing events go. */
    interface Target {
        void error(String message, Phase phase);

        void exit(String code, Phase phase);
    }

    private RunEndings() {
    }

    static void finish(RunEndings.Target events, ExecutionSpec spec, RunOutcome outcome, CancelSignal cancel) {
        Phase phase = outcome.failedPhase().isPresent() ? Phase.SETUP : Phase.CODE;
        String exit = Integer.toString(outcome.exitCode());
        switch (outcome.ending()) {
            case TIMED_OUT -> events.error(switch (outcome.failedPhase().orElse(null)) {
                case INSTALL -> "PACKAGE INSTALL TIMED OUT";
                case SETUP -> "SETUP SCRIPT TIMED OUT";
                case null -> "EXECUTION TIMED OUT";
            }, phase);
            case OOM_KILLED -> {
                if (phase == Phase.CODE) {
                    events.error("MEMORY LIMIT EXCEEDED", phase);
                } else {
                    failure(events, spec, outcome);
                }
            }
            case CANCELLED -> {
                switch (cancel.reason()) {
                    case SESSION_DELETED -> events.error("SESSION DELETED", phase);
                    case SHUTDOWN -> events.error("Server is shutting down", phase);
                    case CLIENT_GONE -> {
                        return;
                    }
                }
            }
            case EXITED -> {
                if (outcome.failedPhase().isPresent()) {
                    failure(events, spec, outcome);
                }
            }
        }
        events.exit(exit, phase);
    }

    private static void failure(RunEndings.Target events, ExecutionSpec spec, RunOutcome outcome) {
        if (outcome.failedPhase().get() == FailedPhase.INSTALL) {
            String err = outcome.installStderr();
            String tail = err.length() > INSTALL_TAIL ? err.substring(err.length() - INSTALL_TAIL) : err;
            events.error("Package install failed (exit code " + outcome.exitCode() + "): "
                    + SecretMasker.maskAll(spec.secrets().values(), tail.strip()), Phase.SETUP);
        } else {
            events.error("Setup script failed (exit code " + outcome.exitCode() + ")", Phase.SETUP);
        }
    }
}
