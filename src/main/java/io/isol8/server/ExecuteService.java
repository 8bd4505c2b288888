package io.isol8.server;

import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.isol8.core.Isol8Exception;
import io.isol8.engine.Call;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.Executions;
import io.isol8.engine.Finished;
import io.isol8.engine.RunOutcome.Ending;

import java.util.UUID;

/** {@code POST /execute} (buffered JSON result) and {@code POST /execute/stream} (Server-Sent Events). */
final class ExecuteService implements HttpService {
    private final ExecutionRequestParser parser;
    private final Executions executions;
    private final long maxRequestBytes;
    private final Tenants tenants;
    private final Audit audit;
    private final RemoteCode remoteCode;

    ExecuteService(ExecutionRequestParser parser, Executions executions, long maxRequestBytes, Tenants tenants,
                   Audit audit, RemoteCode remoteCode) {
        this.parser = parser;
        this.executions = executions;
        this.maxRequestBytes = maxRequestBytes;
        this.tenants = tenants;
        this.audit = audit;
        this.remoteCode = remoteCode;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/execute", this::buffered)
                .post("/execute/stream", this::stream);
    }

    private Call call(ServerRequest req, long arrival) {
        ParsedExecution parsed = parser.parse(Bodies.read(req, maxRequestBytes, "limits.maxRequestBytes"));
        String tenant = req.context().get(Caller.class).orElseThrow().tenant();
        var spec = parsed.remote().map(r -> remoteCode.resolve(parsed.spec(), r)).orElse(parsed.spec());
        return new Call(UUID.randomUUID().toString(), tenant, spec, parsed.sessionId(), arrival);
    }

    private void buffered(ServerRequest req, ServerResponse res) {
        Caller caller = req.context().get(Caller.class).orElseThrow();
        Audit.Record record = audit.start(caller, "/execute");
        try {
            Call call = call(req, System.nanoTime());
            record.call(call);
            BufferedOutput out = new BufferedOutput();
            CancelSignal cancel = new CancelSignal();
            Finished finished;
            try (Tenants.Slot slot = tenants.execution(caller.tenant(), call.spec().timeoutMs())) {
                finished = executions.run(call, out, cancel);
            }
            tenants.finished(caller.tenant(), finished.outcome());
            record.finished(finished, cancel.reason(), out.stdout, out.stderr);
            if (finished.outcome().ending() == Ending.CANCELLED && cancel.reason() == CancelSignal.Reason.SHUTDOWN) {
                throw new Isol8Exception.Unavailable("Server is shutting down");
            }
            res.header("X-Isol8-Execution-Id", call.executionId());
            Json.send(res, Status.OK_200, ResultJson.of(call.spec(), finished.outcome(), out, call.executionId(),
                    finished.containerId(), cancel.reason()));
        } catch (RuntimeException e) {
            record.failed(e);
            throw e;
        } finally {
            record.write();
        }
    }

    private void stream(ServerRequest req, ServerResponse res) {
        Caller caller = req.context().get(Caller.class).orElseThrow();
        Audit.Record record = audit.start(caller, "/execute/stream");
        try {
            Call call = call(req, System.nanoTime());
            record.call(call);
            CancelSignal cancel = new CancelSignal();
            try (Tenants.Slot slot = tenants.execution(caller.tenant(), call.spec().timeoutMs());
                 EventStream events = new EventStream(req, res, call.executionId(), call.spec().maxOutputBytes(), cancel)) {
                try {
                    BufferedOutput copy = new BufferedOutput();
                    Finished finished = executions.run(call, audit.includesOutput() ? new TeeSink(events, copy) : events,
                            cancel);
                    tenants.finished(caller.tenant(), finished.outcome());
                    record.finished(finished, cancel.reason(), copy.stdout, copy.stderr);
                    RunEndings.finish(events, call.spec(), finished.outcome(), cancel);
                } catch (RuntimeException e) {
                    if (!events.isOpen()) {
                        throw e;
                    }
                    record.failed(e);
                    events.failed(ErrorMapping.clientMessage(e, "execution " + call.executionId()),
                            e instanceof Isol8Exception.SandboxLost ? "137" : "1");
                }
            }
        } catch (RuntimeException e) {
            record.failed(e);
            throw e;
        } finally {
            record.write();
        }
    }
}
