package io.isol8.engine.docker;

import io.isol8.engine.CancelSignal;
import io.isol8.engine.Interaction;
import io.isol8.engine.agent.Message;
import io.isol8.engine.egress.Grant;
import io.isol8.engine.egress.InstallWindow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link Spawner} whose programs get the egress proxy's variables ({@code HTTP_PROXY}, …) on top of their
 * environment: the server sets them, a request's {@code env} does not replace them. The package install phase
 * runs with the sandbox's install window open ({@link Installs#open}).
 */
final class ProxiedSpawner implements Spawner {
    private final Spawner inner;
    private final Map<String, String> proxyEnv;
    private final Grant grant;
    private final Installs installs;

    /** @param grant the sandbox's grant, whose install window the install phase opens; null: none */
    ProxiedSpawner(Spawner inner, Map<String, String> proxyEnv, Grant grant, Installs installs) {
        this.inner = inner;
        this.proxyEnv = Map.copyOf(proxyEnv);
        this.grant = grant;
        this.installs = installs;
    }

    @Override
    public Ended phase(Launch l, ExecRunner.FrameHandler handler, long deadlineNanos, CancelSignal cancel) {
        return phase(l, null, handler, deadlineNanos, cancel);
    }

    @Override
    public Ended phase(Launch l, Interaction interaction, ExecRunner.FrameHandler handler, long deadlineNanos,
                       CancelSignal cancel) {
        Launch proxied = new Launch(l.spec(), l.stage(), l.command(), l.workdir(), l.programStdin(), l.removeAfter(),
                withProxy(l.env()), l.install());
        if (!l.install() || grant == null) {
            return inner.phase(proxied, interaction, handler, deadlineNanos, cancel);
        }
        try (InstallWindow window = installs.open(grant, l.spec().runtime())) {
            return inner.phase(proxied, interaction, handler, deadlineNanos, cancel);
        }
    }

    @Override
    public Ended run(List<String> cmd, List<String> env, byte[] stdin, ExecRunner.FrameHandler handler,
                     long deadlineNanos, CancelSignal cancel) {
        return inner.run(cmd, withProxy(env), stdin, handler, deadlineNanos, cancel);
    }

    private List<String> withProxy(List<String> env) {
        List<String> merged = new ArrayList<>(env.size() + proxyEnv.size());
        for (String entry : env) {
            int eq = entry.indexOf('=');
            if (eq < 0 || !proxyEnv.containsKey(entry.substring(0, eq))) {
                merged.add(entry);
            }
        }
        merged.addAll(Containers.env(proxyEnv));
        return merged;
    }

    @Override
    public ContainerFiles files(long maxFileBytes) {
        return inner.files(maxFileBytes);
    }

    @Override
    public boolean oomKilled(Ended ended) {
        return inner.oomKilled(ended);
    }

    @Override
    public boolean killAll() {
        return inner.killAll();
    }

    @Override
    public Optional<Message.Stats> counters() {
        return inner.counters();
    }
}
