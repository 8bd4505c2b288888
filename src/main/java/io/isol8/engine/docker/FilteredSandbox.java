package io.isol8.engine.docker;

import io.isol8.core.ExecutionSpec;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.OutputSink;
import io.isol8.engine.RunOutcome;
import io.isol8.engine.Sandbox;
import io.isol8.engine.egress.Grant;

/**
 * A sandbox on the filtered network: each run's outcome carries the connections it asked the egress proxy for.
 * An ephemeral sandbox's connections end with its run; a session's when the session ends ({@link Grant#close()} on
 * discard).
 */
final class FilteredSandbox extends ForwardingSandbox {
    private final Grant grant;
    private final boolean ephemeral;

    FilteredSandbox(Sandbox inner, Grant grant, boolean ephemeral) {
        super(inner);
        this.grant = grant;
        this.ephemeral = ephemeral;
    }

    @Override
    public RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel) {
        grant.drain(); // what a session's leftovers asked for between runs belongs to no run
        try {
            return inner.run(spec, sink, cancel).withNetworkLogs(grant.drain());
        } finally {
            if (ephemeral) {
                grant.closeConnections();
            }
        }
    }

    @Override
    public void close() {
        super.close();
        if (ephemeral) {
            grant.close();
        }
    }
}
