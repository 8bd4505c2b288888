package io.isol8.engine;

/**
 * What a run used (sandbox.md §15.5), measured inside the container at no Docker call.
 *
 * @param cpuPercent      CPU time ÷ wall time × 100, 2 decimals
 * @param memoryMB        the container's memory use when the run ended, MiB
 * @param peakMemoryMB    the run's peak resident set, MiB
 * @param networkBytesIn  bytes received by the container's interfaces (not {@code lo}) during the run
 * @param networkBytesOut bytes sent during the run
 * @param cpuMs           user + system CPU time of the run's processes
 */
public record ResourceUsage(double cpuPercent, long memoryMB, long peakMemoryMB, long networkBytesIn,
                            long networkBytesOut, long cpuMs) {
    public ResourceUsage {
        if (cpuPercent < 0 || memoryMB < 0 || peakMemoryMB < 0 || networkBytesIn < 0 || networkBytesOut < 0
                || cpuMs < 0) {
            throw new IllegalArgumentException("resource usage cannot be negative");
        }
    }

    /** {@code cpuMs ÷ wallMs × 100} rounded to 2 decimals; 0 for a run of no measurable wall time. */
    public static double percent(long cpuMs, long wallMs) {
        return wallMs <= 0 ? 0 : Math.round(cpuMs * 10_000.0 / wallMs) / 100.0;
    }
}
