package io.isol8.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Latency summaries for {@code isol8 bench}. Percentiles use the nearest-rank method on the sorted
 * samples: the p-th percentile of n samples is the value at rank {@code ceil(p / 100 * n)} (1-based),
 * so it is always one of the measured values (p50 of an even count is the lower middle value).
 */
final class BenchStats {
    private BenchStats() {
    }

    /** Min, p50, p95, p99, max and mean of a set of samples, in milliseconds. */
    record Summary(int count, double min, double p50, double p95, double p99, double max, double mean) {
        static final Summary EMPTY = new Summary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }

    /** Summarises samples given in nanoseconds; returns {@link Summary#EMPTY} when there are none. */
    static Summary ofNanos(long[] nanos) {
        double[] ms = new double[nanos.length];
        for (int i = 0; i < nanos.length; i++) {
            ms[i] = nanos[i] / 1e6;
        }
        return of(ms);
    }

    /** Summarises samples given in milliseconds; returns {@link Summary#EMPTY} when there are none. */
    static Summary of(double[] samples) {
        if (samples.length == 0) {
            return Summary.EMPTY;
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        double sum = 0;
        for (double v : sorted) {
            sum += v;
        }
        return new Summary(sorted.length, sorted[0], percentile(sorted, 50), percentile(sorted, 95),
                percentile(sorted, 99), sorted[sorted.length - 1], sum / sorted.length);
    }

    /**
     * The nearest-rank percentile of already sorted samples.
     *
     * @param sorted ascending, at least one value
     * @param p      0 < p ≤ 100
     */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100]: " + p);
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(1, Math.min(rank, sorted.length)) - 1];
    }

    /** Events per second; 0 when nothing happened or no time passed. */
    static double perSecond(long events, long elapsedNanos) {
        return events <= 0 || elapsedNanos <= 0 ? 0 : events * 1e9 / elapsedNanos;
    }

    /** {@code a / b}, or NaN when either is unknown or {@code b} is zero. */
    static double ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? Double.NaN : a / b;
    }

    /** One decimal, {@code -} for an unknown value. */
    static String ms(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }

    /** Two decimals, {@code -} for an unknown value. */
    static String two(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    /** Rounds to {@code digits} decimals for JSON output; NaN stays NaN (written as null). */
    static double round(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return v;
        }
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
