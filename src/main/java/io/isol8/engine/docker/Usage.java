package io.isol8.engine.docker;

import io.isol8.engine.ResourceUsage;
import io.isol8.engine.agent.Message;

import java.util.Optional;

/** Resource usage of a code phase from the agent's {@code exit} and {@code stats} before and after (§15.5). */
final class Usage {
    private static final long MIB = 1 << 20;

    private Usage() {
    }

    /**
     * @param exit       the agent's exit report, absent when the run did not end by itself (deadline)
     * @param durationMs the code phase's wall time, used when there is no exit report
     * @return empty when the counters after the run could not be read
     */
    static Optional<ResourceUsage> of(Optional<Message.Exit> exit, Message.Stats before, Optional<Message.Stats> after,
                                      long durationMs) {
        if (after.isEmpty()) {
            return Optional.empty();
        }
        Message.Stats a = after.get();
        long cpuMs = exit.map(e -> e.cpuUs() / 1000).orElse(Math.max(0, a.cpuNs() - before.cpuNs()) / 1_000_000);
        long wallMs = exit.map(e -> e.wallUs() / 1000).orElse(durationMs);
        long peakMb = exit.map(e -> e.peakRssKb() / 1024).orElse(a.memoryPeakBytes() / MIB);
        return Optional.of(new ResourceUsage(ResourceUsage.percent(cpuMs, wallMs), unsigned(a.memoryBytes()) / MIB,
                Math.max(0, peakMb), delta(before.netRxBytes(), a.netRxBytes()), delta(before.netTxBytes(), a.netTxBytes()),
                Math.max(0, cpuMs)));
    }

    private static long unsigned(long v) {
        return Math.max(0, v);
    }

    private static long delta(long before, long after) {
        return Math.max(0, after - before);
    }
}
