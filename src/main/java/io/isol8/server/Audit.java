package io.isol8.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isol8.auth.StoredKey;
import io.isol8.config.Isol8Config;
import io.isol8.core.Isol8Exception;
import io.isol8.core.KeyDigest;
import io.isol8.core.Source;
import io.isol8.engine.Call;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.Finished;
import io.isol8.engine.RunOutcome;
import io.isol8.engine.Telemetry;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The audit log ({@code audit.*}): one JSON line per execution request (every route, every ending,
 * rejected requests included) and per key event, in daily files {@code audit-YYYY-MM-DD.jsonl}. Records are
 * handed to one writer thread through a bounded queue, so a slow or full disk never delays or fails a
 * request (failures are logged and counted in {@code isol8_audit_records_total}). {@code postLogScript} runs
 * after each record, one at a time, on its own thread, with the file path as argument and the record on stdin.
 */
final class Audit implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Audit.class.getName());
    private static final int QUEUE = 10_000;
    private static final long SCRIPT_TIMEOUT_MS = 30_000;

    private final Isol8Config.Audit config;
    private final Path dir;
    private final Clock clock;
    private final Metrics metrics;
    private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(QUEUE);
    private final BlockingQueue<String[]> scripts = new ArrayBlockingQueue<>(1_000);
    private final Thread writer;
    private final Thread scriptRunner;
    private volatile boolean closing;
    private LocalDate retainedOn;
    private long lastFailureLog;

    static Audit off() {
        return new Audit(Isol8Config.Audit.OFF, Clock.systemUTC(), new Metrics());
    }

    Audit(Isol8Config.Audit config, Clock clock, Metrics metrics) {
        this.config = config;
        this.clock = clock;
        this.metrics = metrics;
        String home = System.getProperty("user.home");
        this.dir = Path.of(config.dir().isEmpty() ? home + "/.isol8/audit"
                : config.dir().startsWith("~/") ? home + config.dir().substring(1) : config.dir());
        if (config.enabled()) {
            this.writer = Thread.ofVirtual().name("isol8-audit").start(this::writeLoop);
            this.scriptRunner = config.postLogScript().isEmpty() ? null
                    : Thread.ofVirtual().name("isol8-audit-script").start(this::scriptLoop);
        } else {
            this.writer = null;
            this.scriptRunner = null;
        }
    }

    boolean enabled() {
        return config.enabled();
    }

    /** Whether records carry the run's output (then the stream route keeps a copy of it). */
    boolean includesOutput() {
        return config.enabled() && config.includeOutput();
    }

    Path dir() {
        return dir;
    }

    /** A record for one execution request of {@code caller} on {@code route}; {@link Record#write()} once. */
    Record start(Caller caller, String route) {
        return new Record(caller, route, clock.instant());
    }

    /** A key event: {@code key.created}, {@code key.revoked}, {@code key.rotated}, {@code login}. */
    void keyEvent(String event, Caller actor, StoredKey key) {
        if (!config.enabled()) {
            return;
        }
        ObjectNode n = Json.object();
        n.put("event", event).put("timestamp", Json.timestamp(clock.instant())).put("userId", actor.principal())
                .put("actorTenantId", actor.tenant()).put("keyId", key.id()).put("keyName", key.name())
                .put("keyPrefix", key.keyPrefix()).put("tenantId", key.tenantId())
                .put("expiresAt", Json.timestamp(key.expiresAt()));
        offer(Json.string(n));
    }

    /** One execution request as it is audited. Not thread-safe: the request's thread only. */
    final class Record {
        private final Caller caller;
        private final String route;
        private final Instant started;
        private Call call;
        private Finished finished;
        private CancelSignal.Reason cancelled;
        private String stdout = "";
        private String stderr = "";
        private RuntimeException failure;
        private boolean written;

        private Record(Caller caller, String route, Instant started) {
            this.caller = caller;
            this.route = route;
            this.started = started;
        }

        void call(Call call) {
            this.call = call;
        }

        void finished(Finished finished, CancelSignal.Reason reason, CharSequence stdout, CharSequence stderr) {
            this.finished = finished;
            this.cancelled = reason;
            if (config.includeOutput()) {
                this.stdout = stdout.toString();
                this.stderr = stderr.toString();
            }
        }

        /** The request failed; the first failure is kept. */
        void failed(RuntimeException e) {
            if (failure == null && finished == null) {
                failure = e;
            }
        }

        /** Queues the record (idempotent; never throws). */
        void write() {
            if (written || !config.enabled()) {
                return;
            }
            written = true;
            try {
                offer(Json.string(json()));
            } catch (RuntimeException e) {
                LOG.warning("audit record not written: " + e);
            }
        }

        private ObjectNode json() {
            ObjectNode n = Json.object();
            n.put("executionId", call == null ? null : call.executionId());
            n.put("userId", caller.principal());
            n.put("timestamp", Json.timestamp(started));
            n.put("runtime", call == null ? null : call.spec().runtime().wireName());
            n.put("codeHash", call == null ? null : codeHash(call.spec().source()));
            n.put("containerId", finished == null ? null : finished.containerId());
            RunOutcome o = finished == null ? null : finished.outcome();
            if (o == null) {
                n.putNull("exitCode");
            } else {
                n.put("exitCode", o.exitCode());
            }
            n.put("durationMs", o == null ? Math.max(0, clock.millis() - started.toEpochMilli()) : o.durationMs());
            if (o != null && o.resourceUsage().isPresent()) {
                var u = o.resourceUsage().get();
                n.putObject("resourceUsage").put("cpuPercent", u.cpuPercent()).put("memoryMB", u.memoryMB())
                        .put("networkBytesIn", u.networkBytesIn()).put("networkBytesOut", u.networkBytesOut())
                        .put("cpuMs", u.cpuMs()).put("peakMemoryMB", u.peakMemoryMB());
            } else {
                n.putNull("resourceUsage");
            }
            n.putObject("metadata");
            n.put("tenantId", caller.tenant());
            n.put("keyId", caller.keyId().orElse(null));
            n.put("sessionId", call == null ? null : call.sessionId().orElse(null));
            n.put("route", route);
            n.put("outcome", outcome(o));
            if (failure != null) {
                n.put("status", failure instanceof Isol8Exception e ? ErrorMapping.status(e).code() : 500);
                n.put("error", failure instanceof Isol8Exception ? failure.getMessage() : "Internal error");
            }
            n.put("stdoutBytes", o == null ? 0 : o.stdoutBytes());
            n.put("stderrBytes", o == null ? 0 : o.stderrBytes());
            n.put("truncated", o != null && call != null && (o.stdoutBytes() > call.spec().maxOutputBytes()
                    || o.stderrBytes() > call.spec().maxOutputBytes()));
            ResultJson.networkLogs(n.putArray("networkLogs"), o == null ? List.of() : o.networkLogs());
            if (config.includeCode() && call != null) {
                n.put("code", switch (call.spec().source()) {
                    case Source.Code c -> c.text();
                    case Source.Command c -> c.command();
                });
            }
            if (config.includeOutput() && o != null) {
                n.put("stdout", stdout).put("stderr", stderr);
            }
            return n;
        }

        private String outcome(RunOutcome o) {
            if (o == null) {
                return failure == null ? "error" : failure instanceof Isol8Exception.Busy ? "rejected_busy"
                        : failure instanceof Isol8Exception ? "rejected" : "error";
            }
            if (o.ending() == RunOutcome.Ending.CANCELLED && cancelled == CancelSignal.Reason.CLIENT_GONE) {
                return "client_disconnected";
            }
            if (o.ending() == RunOutcome.Ending.CANCELLED) {
                return cancelled == null ? "cancelled" : cancelled.name().toLowerCase(java.util.Locale.ROOT);
            }
            return Telemetry.outcome(o);
        }
    }

    static String codeHash(Source source) {
        String text = switch (source) {
            case Source.Code c -> c.text();
            case Source.Command c -> c.command();
        };
        return HexFormat.of().formatHex(KeyDigest.of(text));
    }

    private void offer(String line) {
        if (!lines.offer(line)) {
            metrics.audit("dropped");
            failure("audit queue full: record dropped");
        }
    }

    private void writeLoop() {
        while (!closing || !lines.isEmpty()) {
            String line;
            try {
                line = lines.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                line = lines.poll();
                closing = true;
            }
            if (line == null) {
                continue;
            }
            LocalDate day = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
            Path file = dir.resolve("audit-" + day + ".jsonl");
            try {
                Files.createDirectories(dir);
                try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                        StandardOpenOption.WRITE)) {
                    out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                }
                metrics.audit("written");
                if (scriptRunner != null && !scripts.offer(new String[] {file.toString(), line})) {
                    failure("postLogScript is behind: a run was skipped");
                }
            } catch (IOException | RuntimeException e) {
                metrics.audit("failed");
                failure("audit record not written to " + file + ": " + e);
            }
            if (!day.equals(retainedOn)) {
                retainedOn = day;
                retain(day);
            }
        }
    }

    /** Deletes daily files older than {@code retentionDays}; never other files. */
    private void retain(LocalDate today) {
        if (config.retentionDays() <= 0 || !Files.isDirectory(dir)) {
            return;
        }
        LocalDate oldest = today.minusDays(config.retentionDays());
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "audit-*.jsonl")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                try {
                    LocalDate d = LocalDate.parse(name.substring(6, name.length() - 6));
                    if (d.isBefore(oldest)) {
                        Files.deleteIfExists(f);
                    }
                } catch (RuntimeException | IOException e) {
                    // not one of ours, or already gone
                }
            }
        } catch (IOException e) {
            failure("audit retention failed: " + e);
        }
    }

    private void scriptLoop() {
        while (!closing || !scripts.isEmpty()) {
            String[] job;
            try {
                job = scripts.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (job == null) {
                continue;
            }
            try {
                Process p = new ProcessBuilder(config.postLogScript(), job[0]).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                try (OutputStream in = p.getOutputStream()) {
                    in.write((job[1] + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // the script does not read its stdin
                }
                if (!p.waitFor(SCRIPT_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    failure("postLogScript ran longer than " + SCRIPT_TIMEOUT_MS + " ms and was killed");
                } else if (p.exitValue() != 0) {
                    failure("postLogScript exited with " + p.exitValue());
                }
            } catch (IOException e) {
                failure("postLogScript could not run: " + e.getMessage());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void failure(String message) {
        long now = System.nanoTime();
        if (now - lastFailureLog > TimeUnit.SECONDS.toNanos(10)) {
            lastFailureLog = now;
            LOG.warning(message);
        }
    }

    /** Writes what is queued (at most 5 s), then stops. */
    @Override
    public void close() {
        closing = true;
        try {
            if (writer != null) {
                writer.join(5_000);
            }
            if (scriptRunner != null) {
                scriptRunner.join(1_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    Optional<Path> todaysFile() {
        return Optional.of(dir.resolve("audit-" + LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC) + ".jsonl"));
    }
}
