package io.isol8.engine.egress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/** One client connection to the proxy: read the head, decide, connect, relay. Runs on its own virtual thread. */
final class ProxyConnection {
    private static final Logger LOG = Logger.getLogger(ProxyConnection.class.getName());
    private static final int BUFFER = 16 * 1024;

    private final EgressProxy proxy;
    private final Socket client;
    private volatile long lastActivity = System.nanoTime();

    ProxyConnection(EgressProxy proxy, Socket client) {
        this.proxy = proxy;
        this.client = client;
    }

    void serve() {
        Grant grant = proxy.grantOf(client.getInetAddress());
        try (client) {
            if (grant == null || !grant.track(client)) {
                reply(403, "this address may not use the proxy");
                return;
            }
            try {
                serve(grant);
            } finally {
                grant.untrack(client);
            }
        } catch (IOException e) {
            // the client went away or timed out: nothing to answer
        }
    }

    private void serve(Grant grant) throws IOException {
        byte[] buf = new byte[RequestHead.MAX_BYTES];
        int len = readHead(buf);
        if (len < 0) {
            return;
        }
        int headEnd = RequestHead.end(buf, len);
        if (headEnd < 0) {
            reply(431, "request head too large");
            return;
        }
        RequestHead head;
        try {
            head = RequestHead.parse(buf, headEnd);
        } catch (RequestHead.Malformed e) {
            reply(400, e.getMessage());
            return;
        }
        if (!grant.tryOpen()) {
            refuse(grant, head, 503, "too many connections (network.maxConnections: "
                    + proxy.limits.maxConnections() + ")");
            return;
        }
        try {
            connect(grant, head, buf, headEnd, len);
        } finally {
            grant.released();
        }
    }

    private void connect(Grant grant, RequestHead head, byte[] buf, int headEnd, int len) throws IOException {
        InstallWindow install = grant.install();
        if (install != null && !install.allows(head.host())) {
            install = null;
        }
        Optional<String> refusal = install != null ? Optional.empty() : grant.rules.refusal(head.host());
        if (refusal.isPresent()) {
            refuse(grant, head, 403, refusal.get());
            return;
        }
        InetAddress address;
        try {
            address = checkedAddress(head, install != null && install.trusts(head.host()));
        } catch (Refused r) {
            refuse(grant, head, r.status, r.getMessage());
            return;
        }
        Socket upstream;
        try {
            upstream = proxy.dialer.dial(new InetSocketAddress(address, head.port()),
                    proxy.limits.connectTimeoutMs());
        } catch (IOException e) {
            refuse(grant, head, 502, "cannot connect to " + address.getHostAddress() + ":" + head.port());
            return;
        }
        try (upstream) {
            if (!grant.track(upstream) || install != null && !(install.track(upstream) && install.track(client))) {
                grant.untrack(upstream);
                return;
            }
            Grant.Slot slot = grant.log(head.method(), head.host(), head.path(), Optional.empty());
            proxy.telemetry.egressConnection(true);
            try {
                upstream.setTcpNoDelay(true);
                OutputStream up = upstream.getOutputStream();
                if (head.isConnect()) {
                    client.getOutputStream().write(("HTTP/1.1 200 Connection established\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    client.getOutputStream().flush();
                } else {
                    byte[] rewritten = head.upstreamHead();
                    up.write(rewritten);
                    grant.count(0, rewritten.length);
                }
                if (len > headEnd) {
                    up.write(buf, headEnd, len - headEnd);
                    grant.count(0, len - headEnd);
                }
                up.flush();
                relay(grant, upstream);
            } finally {
                slot.end();
                grant.untrack(upstream);
                if (install != null) {
                    install.untrack(upstream);
                    install.untrack(client);
                }
            }
        }
    }

    /**
     * The one address to connect to: a literal, or the first answer of one lookup; every answer checked unless the
     * host is {@code trusted} (a configured package mirror).
     */
    private InetAddress checkedAddress(RequestHead head, boolean trusted) throws Refused {
        List<InetAddress> answers;
        if (head.literal()) {
            answers = io.isol8.core.Cidr.literal(head.host()).map(List::of)
                    .orElseThrow(() -> new Refused(400, "malformed IP address"));
        } else {
            try {
                answers = proxy.resolver.resolve(head.host());
            } catch (IOException e) {
                throw new Refused(502, "name does not resolve");
            }
            if (answers.isEmpty()) {
                throw new Refused(502, "name does not resolve");
            }
        }
        for (InetAddress a : answers) {
            Optional<String> why = trusted ? Optional.empty() : proxy.addresses.refusal(a);
            if (why.isPresent()) {
                throw new Refused(403, why.get());
            }
        }
        return answers.get(0);
    }

    /** Both directions until either side ends, the idle timeout passes or the grant is closed. */
    private void relay(Grant grant, Socket upstream) throws IOException {
        int idle = proxy.limits.idleTimeoutMs();
        client.setSoTimeout(idle);
        upstream.setSoTimeout(idle);
        client.setTcpNoDelay(true); // relay each chunk as it comes: no Nagle delay on small writes
        upstream.setTcpNoDelay(true);
        Thread outbound = Thread.ofVirtual().name("isol8-egress-out").start(() -> {
            try {
                pump(client.getInputStream(), upstream.getOutputStream(), grant, false);
                upstream.shutdownOutput();
            } catch (IOException e) {
                EgressProxy.close(upstream);
                EgressProxy.close(client);
            }
        });
        try {
            pump(upstream.getInputStream(), client.getOutputStream(), grant, true);
        } catch (IOException e) {
            // ended by a timeout, a reset or a close from outside
        } finally {
            EgressProxy.close(upstream);
            EgressProxy.close(client);
            try {
                outbound.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void pump(InputStream in, OutputStream out, Grant grant, boolean inbound) throws IOException {
        byte[] buf = new byte[BUFFER];
        long idleNanos = proxy.limits.idleTimeoutMs() * 1_000_000L;
        while (true) {
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                if (System.nanoTime() - lastActivity < idleNanos) {
                    continue; // the other direction is busy
                }
                throw e;
            }
            if (n < 0) {
                return;
            }
            lastActivity = System.nanoTime();
            if (!grant.count(inbound ? n : 0, inbound ? 0 : n)) {
                throw new IOException("byte budget spent");
            }
            proxy.telemetry.egressBytes(inbound ? n : 0, inbound ? 0 : n);
            out.write(buf, 0, n);
            out.flush();
        }
    }

    /** Reads until the head ends, 16 KiB or the header timeout; the bytes read, or -1 when the client left. */
    private int readHead(byte[] buf) throws IOException {
        long deadline = System.nanoTime() + proxy.limits.headerTimeoutMs() * 1_000_000L;
        InputStream in = client.getInputStream();
        int len = 0;
        while (len < buf.length) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                reply(408, "request head not received in time");
                return -1;
            }
            client.setSoTimeout((int) Math.max(1, left));
            int n;
            try {
                n = in.read(buf, len, buf.length - len);
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (n < 0) {
                return -1;
            }
            len += n;
            if (RequestHead.end(buf, len) >= 0) {
                return len;
            }
        }
        return len;
    }

    private void refuse(Grant grant, RequestHead head, int status, String reason) throws IOException {
        grant.log(head.method(), head.host(), head.path(), Optional.of(reason));
        proxy.telemetry.egressConnection(false);
        LOG.fine(() -> "egress refused " + head.method() + " " + head.host() + ":" + head.port() + " for "
                + client.getInetAddress().getHostAddress() + ": " + reason);
        reply(status, reason);
    }

    private void reply(int status, String reason) throws IOException {
        byte[] body = ("isol8 egress proxy: " + reason + "\n").getBytes(StandardCharsets.UTF_8);
        String text = switch (status) {
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 408 -> "Request Timeout";
            case 431 -> "Request Header Fields Too Large";
            case 502 -> "Bad Gateway";
            default -> "Service Unavailable";
        };
        OutputStream out = client.getOutputStream();
        out.write(("HTTP/1.1 " + status + " " + text + "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private static final class Refused extends Exception {
        final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }
}
