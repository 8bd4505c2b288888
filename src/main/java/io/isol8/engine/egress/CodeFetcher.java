package io.isol8.engine.egress;

import io.isol8.core.Cidr;
import io.isol8.core.Isol8Exception.BadRequest;
import io.isol8.core.NetworkFilter;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Fetches {@code request.codeUrl} for the server, under the egress proxy's address rules: the name is resolved once,
 * every answer is checked (no private, loopback or metadata address unless {@code network.allowPrivate} opens it),
 * the checked address is the one connected to, and every redirect hop goes through the same checks. {@code https}
 * only unless both the owner and the request allow plain {@code http}; bounded in size and time. Every refusal is a
 * {@link BadRequest} naming the reason.
 */
public final class CodeFetcher {
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_HEAD = 16 * 1024;

    private final AddressRules addresses;
    private final HostRules hosts;
    private final boolean ownerAllowsHttp;
    private final long maxBytes;
    private final long timeoutMs;
    private final Resolver resolver;
    private final Dialer dialer;

    /**
     * @param allowedHosts    {@code remoteCode.allowedHosts} (empty: any host the addresses allow)
     * @param ownerAllowsHttp {@code remoteCode.allowInsecure}
     */
    public CodeFetcher(AddressRules addresses, List<String> allowedHosts, boolean ownerAllowsHttp, long maxBytes,
                       long timeoutMs, Resolver resolver, Dialer dialer) {
        this.addresses = addresses;
        this.hosts = new HostRules(NetworkFilter.NONE, allowedHosts);
        this.ownerAllowsHttp = ownerAllowsHttp;
        this.maxBytes = maxBytes;
        this.timeoutMs = timeoutMs;
        this.resolver = resolver;
        this.dialer = dialer;
    }

    /**
     * Checks {@code url} without any I/O: scheme, host syntax and {@code remoteCode.allowedHosts}.
     *
     * @throws BadRequest naming what is wrong
     */
    public URI check(String url, boolean requestAllowsHttp) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new BadRequest("request.codeUrl is not a valid URL");
        }
        checkHop(uri, requestAllowsHttp, "request.codeUrl");
        return uri;
    }

    private String checkHop(URI uri, boolean requestAllowsHttp, String what) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("http")) {
            if (!ownerAllowsHttp) {
                throw new BadRequest(what + " must use https: plain http is not allowed by this server "
                        + "(remoteCode.allowInsecure)");
            }
            if (!requestAllowsHttp) {
                throw new BadRequest(what + " must use https unless request.allowInsecureCodeUrl is true");
            }
        } else if (!scheme.equals("https")) {
            throw new BadRequest(what + " must be an https URL");
        }
        if (uri.getRawUserInfo() != null) {
            throw new BadRequest(what + " must not carry credentials");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new BadRequest(what + " has no host");
        }
        host = host.toLowerCase(Locale.ROOT);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        Optional<String> refused = hosts.refusal(host);
        if (refused.isPresent()) {
            throw new BadRequest(what + " host \"" + host + "\" is not allowed (remoteCode.allowedHosts)");
        }
        return host;
    }

    /**
     * Fetches the code at {@code url} (checked by {@link #check}), following at most 5 redirects.
     *
     * @throws BadRequest refused address, redirect, status, size, time or any I/O failure, naming the reason
     */
    public byte[] fetch(URI url, boolean requestAllowsHttp) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            String what = hop == 0 ? "request.codeUrl" : "request.codeUrl redirect to " + current;
            String host = checkHop(current, requestAllowsHttp, what);
            Response r;
            try {
                r = get(current, host, deadline, what);
            } catch (IOException e) {
                throw new BadRequest("request.codeUrl could not be fetched: " + (System.nanoTime() > deadline
                        ? "no answer within remoteCode.fetchTimeoutMs (" + timeoutMs + " ms)"
                        : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage())));
            }
            if (r.status >= 300 && r.status < 400 && r.location != null) {
                try {
                    current = current.resolve(new URI(r.location.trim()));
                } catch (URISyntaxException e) {
                    throw new BadRequest("request.codeUrl redirects to an invalid URL");
                }
                continue;
            }
            if (r.status != 200) {
                throw new BadRequest("request.codeUrl answered HTTP " + r.status);
            }
            return r.body;
        }
        throw new BadRequest("request.codeUrl redirects more than " + MAX_REDIRECTS + " times");
    }

    private record Response(int status, String location, byte[] body) {
    }

    private Response get(URI uri, String host, long deadline, String what) throws IOException {
        boolean tls = uri.getScheme().equalsIgnoreCase("https");
        int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
        InetAddress address = checkedAddress(host, what);
        Socket raw = dialer.dial(new InetSocketAddress(address, port), remaining(deadline));
        Socket socket = raw;
        try {
            raw.setSoTimeout(remaining(deadline));
            if (tls) {
                SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault())
                        .createSocket(raw, host, port, true);
                SSLParameters params = ssl.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                if (Cidr.literal(host).isEmpty()) {
                    params.setServerNames(List.of(new SNIHostName(host)));
                }
                ssl.setSSLParameters(params);
                socket = ssl;
                ssl.startHandshake();
            }
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            if (uri.getRawQuery() != null) {
                path += "?" + uri.getRawQuery();
            }
            String hostHeader = (host.indexOf(':') >= 0 ? "[" + host + "]" : host)
                    + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nUser-Agent: isol8\r\n"
                    + "Accept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return read(socket, deadline);
        } finally {
            socket.close();
            raw.close();
        }
    }

    private InetAddress checkedAddress(String host, String what) throws IOException {
        List<InetAddress> answers = Cidr.literal(host).map(List::of).orElse(null);
        if (answers == null) {
            answers = resolver.resolve(host);
        }
        if (answers.isEmpty()) {
            throw new java.net.UnknownHostException(host);
        }
        for (InetAddress a : answers) {
            Optional<String> why = addresses.refusal(a);
            if (why.isPresent()) {
                throw new BadRequest(what + " is refused: " + why.get());
            }
        }
        return answers.getFirst();
    }

    private Response read(Socket socket, long deadline) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        int state = 0;
        while (state < 4) {
            socket.setSoTimeout(remaining(deadline));
            b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before the response head ended");
            }
            head.write(b);
            if (head.size() > MAX_HEAD) {
                throw new IOException("response head larger than 16 KiB");
            }
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3))
                    ? state + 1 : (b == '\r' ? 1 : 0);
        }
        String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/1.") || !status[1].matches("\\d{3}")) {
            throw new IOException("malformed status line");
        }
        int code = Integer.parseInt(status[1]);
        String location = null;
        long length = -1;
        boolean chunked = false;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = lines[i].substring(colon + 1).trim();
            switch (name) {
                case "location" -> location = value;
                case "content-length" -> length = value.matches("\\d{1,18}") ? Long.parseLong(value) : -2;
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                default -> { }
            }
        }
        if (code != 200) {
            return new Response(code, location, new byte[0]);
        }
        if (length == -2) {
            throw new IOException("malformed Content-Length");
        }
        if (length > maxBytes) {
            throw tooLarge();
        }
        byte[] body = chunked ? chunked(socket, in, deadline) : plain(socket, in, length, deadline);
        return new Response(code, null, body);
    }

    private byte[] plain(Socket socket, InputStream in, long length, long deadline) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (length < 0 || body.size() < length) {
            socket.setSoTimeout(remaining(deadline));
            int want = length < 0 ? buf.length : (int) Math.min(buf.length, length - body.size());
            int n = in.read(buf, 0, want);
            if (n < 0) {
                if (length >= 0) {
                    throw new IOException("connection closed before the body ended");
                }
                break;
            }
            body.write(buf, 0, n);
            if (body.size() > maxBytes) {
                throw tooLarge();
            }
        }
        return body.toByteArray();
    }

    private byte[] chunked(Socket socket, InputStream in, long deadline) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = line(socket, in, deadline);
            int semi = sizeLine.indexOf(';');
            String hex = (semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim();
            if (!hex.matches("[0-9a-fA-F]{1,8}")) {
                throw new IOException("malformed chunk size");
            }
            long size = Long.parseLong(hex, 16);
            if (size == 0) {
                return body.toByteArray();
            }
            if (body.size() + size > maxBytes) {
                throw tooLarge();
            }
            body.write(plain(socket, in, size, deadline));
            line(socket, in, deadline);
        }
    }

    private static String line(Socket socket, InputStream in, long deadline) throws IOException {
        StringBuilder b = new StringBuilder();
        while (true) {
            socket.setSoTimeout(remaining(deadline));
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed inside a chunk");
            }
            if (c == '\n') {
                return b.toString().replace("\r", "");
            }
            if (b.length() > 1024) {
                throw new IOException("chunk line too long");
            }
            b.append((char) c);
        }
    }

    private BadRequest tooLarge() {
        return new BadRequest("The code at request.codeUrl exceeds remoteCode.maxCodeBytes (" + maxBytes + " bytes)");
    }

    private static int remaining(long deadline) throws IOException {
        long ms = (deadline - System.nanoTime()) / 1_000_000L;
        if (ms <= 0) {
            throw new java.net.SocketTimeoutException("deadline passed");
        }
        return (int) Math.min(Integer.MAX_VALUE, ms);
    }
}
