package io.isol8.engine.docker;

import io.isol8.core.ExecutionSpec;
import io.isol8.core.PackageSet;
import io.isol8.engine.CancelSignal;
import io.isol8.engine.Interaction;
import io.isol8.engine.OutputSink;
import io.isol8.engine.RunOutcome;
import io.isol8.engine.Sandbox;

import java.util.Map;

/**
 * A sandbox whose container runs a package image: a run whose {@code installPackages} the image holds has no install
 * phase; any other run installs as usual. {@code env} goes before the request's own environment (a deno image's
 * {@code DENO_DIR}).
 */
final class PackagedSandbox extends ForwardingSandbox {
    private final PackageSet packages;
    private final Map<String, String> env;

    PackagedSandbox(Sandbox inner, PackageSet packages, Map<String, String> env) {
        super(inner);
        this.packages = packages;
        this.env = Map.copyOf(env);
    }

    /** The spec as this image runs it. */
    ExecutionSpec adapt(ExecutionSpec spec) {
        ExecutionSpec s = packages.covers(spec.installPackages()) ? spec.withoutInstall() : spec;
        return env.isEmpty() ? s : s.withEnvBefore(env);
    }

    @Override
    public RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel) {
        return inner.run(adapt(spec), sink, cancel);
    }

    @Override
    public RunOutcome run(ExecutionSpec spec, OutputSink sink, CancelSignal cancel, Interaction interaction) {
        return inner.run(adapt(spec), sink, cancel, interaction);
    }
}
