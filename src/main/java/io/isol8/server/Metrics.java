package io.isol8.server;

import io.isol8.core.Language;
import io.isol8.engine.Engine;
import io.isol8.engine.Executions;
import io.isol8.engine.Telemetry;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The Prometheus series of api.md §11.3, recorded by the server and (through {@link Telemetry}) the engine. */
public final class Metrics implements Telemetry {
    private static final double[] SECONDS = {0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter httpRequests = Counter.builder().name("isol8_http_requests_total")
            .help("HTTP requests by method, route template and status").labelNames("method", "route", "status")
            .register(registry);
    private final Counter executions = Counter.builder().name("isol8_executions_total")
            .help("Finished executions by runtime, kind and outcome").labelNames("runtime", "kind", "outcome")
            .register(registry);
    private final Histogram executionSeconds = Histogram.builder().name("isol8_execution_seconds")
            .help("Wall time of the code phase").labelNames("runtime").classicOnly().classicUpperBounds(SECONDS)
            .register(registry);
    private final Counter admissionRejections = Counter.builder().name("isol8_admission_rejections_total")
            .help("Requests refused admission").labelNames("reason").register(registry);
    private final Histogram admissionWait = Histogram.builder().name("isol8_admission_wait_seconds")
            .help("Time spent waiting for an execution slot").classicOnly().classicUpperBounds(SECONDS)
            .register(registry);
    private final Counter poolRequests = Counter.builder().name("isol8_pool_requests_total")
            .help("Warm pool requests by runtime and result").labelNames("runtime", "result").register(registry);
    private final Histogram containerStart = Histogram.builder().name("isol8_container_start_seconds")
            .help("Container create + start").classicOnly().classicUpperBounds(SECONDS).register(registry);
    private final Counter containersRemoved = Counter.builder().name("isol8_containers_removed_total")
            .help("Containers removed").register(registry);
    private final Counter truncations = Counter.builder().name("isol8_output_truncations_total")
            .help("Output streams that hit maxOutputSize").labelNames("stream").register(registry);
    private final Counter disconnects = Counter.builder().name("isol8_client_disconnects_total")
            .help("Stream clients that went away before the end").register(registry);
    private final Counter egressConnections = Counter.builder().name("isol8_egress_connections_total")
            .help("Connections the egress proxy of the filtered network allowed or blocked").labelNames("action")
            .register(registry);
    private final Counter egressBytes = Counter.builder().name("isol8_egress_bytes_total")
            .help("Bytes the egress proxy relayed, by direction (in: from upstreams)").labelNames("direction")
            .register(registry);
    private final Counter dockerErrors = Counter.builder().name("isol8_docker_errors_total")
            .help("Failed Docker calls by operation").labelNames("operation").register(registry);

    /** Registers the gauges that read live state. Call once, when the engine and executions exist. */
    public void bind(String version, Engine engine, Executions exec) {
        Info.builder().name("isol8_build").help("Build information").labelNames("version").register(registry)
                .addLabelValues(version);
        GaugeWithCallback.builder().name("isol8_admission_in_use").help("Execution slots in use")
                .callback(cb -> cb.call(exec.admission().inUse())).register(registry);
        GaugeWithCallback.builder().name("isol8_admission_waiting").help("Requests waiting for a slot")
                .callback(cb -> cb.call(exec.admission().waiting())).register(registry);
        GaugeWithCallback.builder().name("isol8_sessions").help("Live sessions")
                .callback(cb -> cb.call(exec.sessions().count())).register(registry);
        GaugeWithCallback.builder().name("isol8_pool_idle").help("Idle warm containers").labelNames("runtime")
                .callback(cb -> engine.poolIdle().forEach((r, n) -> cb.call(n, r.wireName()))).register(registry);
    }

    void httpRequest(String method, String route, int status) {
        httpRequests.labelValues(method, route, Integer.toString(status)).inc();
    }

    @Override
    public void egressConnection(boolean allowed) {
        egressConnections.labelValues(allowed ? "allow" : "block").inc();
    }

    @Override
    public void egressBytes(long in, long out) {
        if (in > 0) {
            egressBytes.labelValues("in").inc(in);
        }
        if (out > 0) {
            egressBytes.labelValues("out").inc(out);
        }
    }

    @Override
    public void executionFinished(Language runtime, boolean session, String outcome, double seconds) {
        executions.labelValues(runtime.wireName(), session ? "session" : "ephemeral", outcome).inc();
        executionSeconds.labelValues(runtime.wireName()).observe(seconds);
    }

    @Override
    public void truncated(String stream) {
        truncations.labelValues(stream).inc();
    }

    @Override
    public void clientDisconnected() {
        disconnects.inc();
    }

    @Override
    public void admissionWait(double seconds) {
        admissionWait.observe(seconds);
    }

    @Override
    public void admissionRejected(String reason) {
        admissionRejections.labelValues(reason).inc();
    }

    @Override
    public void poolRequest(Language runtime, boolean hit) {
        poolRequests.labelValues(runtime.wireName(), hit ? "hit" : "miss").inc();
    }

    @Override
    public void containerStarted(double seconds) {
        containerStart.observe(seconds);
    }

    @Override
    public void containerRemoved() {
        containersRemoved.inc();
    }

    @Override
    public void dockerError(String operation) {
        dockerErrors.labelValues(operation).inc();
    }

    private final Counter auditRecords = Counter.builder().name("isol8_audit_records_total")
            .help("Audit records by result: written, failed (I/O error such as a full disk), dropped (queue full)")
            .labelNames("result").register(registry);
    private final Counter keyChecks = Counter.builder().name("isol8_keystore_lookups_total")
            .help("Stored-key checks by result: cached, fetched, unavailable").labelNames("result").register(registry);

    void audit(String result) {
        auditRecords.labelValues(result).inc();
    }

    void keyCheck(String result) {
        keyChecks.labelValues(result).inc();
    }

    /** The text exposition format 0.0.4. */
    byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            new PrometheusTextFormatWriter(false).write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
