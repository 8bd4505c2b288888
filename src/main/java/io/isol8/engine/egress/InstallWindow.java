package io.isol8.engine.egress;

import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a sandbox's package install phase may reach besides its own rules: its runtime's registries and the
 * configured mirror ({@code packages.*}, the owner's choice, so neither the request's lists nor
 * {@code limits.allowedHosts} apply). A mirror's host is trusted: the address rules do not apply to it, as sites
 * keep mirrors on private addresses. Opened by {@link Grant#openInstall}; closing it ends every connection made
 * through it, so nothing the install started keeps a registry connection into the code phase.
 */
public final class InstallWindow implements AutoCloseable {
    private final Grant grant;
    private final List<Pattern> hosts;
    private final Set<String> trusted;
    private final TrackedSockets sockets = new TrackedSockets();

    InstallWindow(Grant grant, List<String> hostPatterns, Set<String> trustedHosts) {
        this.grant = grant;
        this.hosts = hostPatterns.stream().map(p -> Pattern.compile(p, Pattern.CASE_INSENSITIVE)).toList();
        this.trusted = Set.copyOf(trustedHosts);
    }

    /** Whether {@code host} (lowercase) is a registry or mirror of this install. */
    boolean allows(String host) {
        return !sockets.isShut() && (trusted.contains(host) || HostRules.anyFinds(hosts, host, false));
    }

    /** Whether the address rules are skipped for {@code host}: it is a configured mirror. */
    boolean trusts(String host) {
        return trusted.contains(host);
    }

    /** Tracks a connection made through the window; false (and closed) when the window closed meanwhile. */
    boolean track(Socket socket) {
        return sockets.track(socket);
    }

    void untrack(Socket socket) {
        sockets.untrack(socket);
    }

    /** Ends the install phase's access: later asks get the sandbox's own rules, open connections are closed. */
    @Override
    public void close() {
        sockets.shut();
        grant.closeInstall(this);
    }
}
