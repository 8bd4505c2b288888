package io.isol8.engine.docker;

import io.isol8.core.Isol8Exception;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Closes the Docker host to the filtered network except for the egress proxy. On a Docker bridge the host answers
 * on its gateway address (and on every other address of the host) whatever {@code internal: true} says: traffic to
 * the host goes through the host's INPUT chain, not the FORWARD rules Docker writes. These rules, inserted at the
 * top of INPUT for the filtered bridge only, let through TCP to the proxy's address and port and drop everything
 * else (IPv4 and IPv6). Installing them needs root on the Docker host, so the filtered network needs a local engine.
 */
final class HostGuard implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HostGuard.class.getName());
    private static final long COMMAND_SECONDS = 10;

    private final String bridge;
    private final List<List<String>> installed = new ArrayList<>();

    private HostGuard(String bridge) {
        this.bridge = bridge;
    }

    /**
     * Installs the rules (removing earlier copies first) for {@code bridge}, letting through only TCP to
     * {@code proxy}:{@code port}.
     *
     * @throws Isol8Exception.Unavailable iptables is missing or refused (the filtered network then stays closed)
     */
    static HostGuard install(String bridge, InetAddress proxy, int port) {
        HostGuard guard = new HostGuard(bridge);
        try {
            // inserted at position 1 in reverse order: ACCEPT ends up above DROP
            guard.insert("iptables", List.of("-i", bridge, "-j", "DROP"));
            guard.insert("iptables", List.of("-i", bridge, "-p", "tcp", "-d", proxy.getHostAddress(), "--dport",
                    Integer.toString(port), "-j", "ACCEPT"));
            guard.insert("ip6tables", List.of("-i", bridge, "-j", "DROP"));
            return guard;
        } catch (RuntimeException e) {
            guard.close();
            throw e;
        }
    }

    private void insert(String tool, List<String> rule) {
        while (run(tool, "-D", rule) == 0) {
            // an earlier copy (a crashed server of the same instance): removed
        }
        int exit = run(tool, "-I", rule);
        if (exit != 0) {
            throw new Isol8Exception.Unavailable("The filtered network is unavailable: " + tool
                    + " could not install the rule that closes the Docker host to it (exit " + exit + ")");
        }
        List<String> entry = new ArrayList<>(rule);
        entry.addFirst(tool);
        installed.add(entry);
    }

    private static int run(String tool, String op, List<String> rule) {
        List<String> cmd = new ArrayList<>(List.of(tool, "-w", "5", op, "INPUT"));
        if (op.equals("-I")) {
            cmd.add("1");
        }
        cmd.addAll(rule);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Removes the rules this guard installed. Idempotent; failures are logged. */
    @Override
    public void close() {
        for (List<String> entry : installed.reversed()) {
            if (run(entry.getFirst(), "-D", entry.subList(1, entry.size())) != 0) {
                LOG.warning("could not remove the " + entry.getFirst() + " rule of " + bridge);
            }
        }
        installed.clear();
    }
}
