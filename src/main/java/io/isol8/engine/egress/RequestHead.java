package io.isol8.engine.egress;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The head of one request a program sends the proxy: {@code CONNECT host:port} or a plain request with an absolute
 * {@code http://} URI. Only what the proxy needs is parsed; anything else is a {@link Malformed}.
 *
 * @param method  the request method
 * @param host    the host asked for, lowercase, without brackets or trailing dot
 * @param port    the port asked for
 * @param path    path and query of a plain request ({@code /} when absent); empty for CONNECT
 * @param version {@code HTTP/1.0} or {@code HTTP/1.1}
 * @param headers header lines of a plain request, as received, except hop-by-hop and {@code Proxy-*} ones
 */
record RequestHead(String method, String host, int port, Optional<String> path, String version,
                   List<String> headers) {
    static final int MAX_BYTES = 16 * 1024;
    private static final Pattern METHOD = Pattern.compile("[A-Z]{1,16}");
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,62})?(\\.[a-z0-9]([a-z0-9-]{0,62})?)*");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    private static final List<String> DROPPED = List.of("connection", "keep-alive", "proxy-connection",
            "proxy-authorization", "proxy-authenticate", "te", "trailer", "upgrade");

    boolean isConnect() {
        return method.equals("CONNECT");
    }

    /** Whether {@code host} is an IP literal rather than a name. */
    boolean literal() {
        return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    /** The head to send upstream for a plain request: origin-form target, {@code Connection: close}. */
    byte[] upstreamHead() {
        StringBuilder b = new StringBuilder(method).append(' ').append(path.orElseThrow()).append(' ')
                .append(version).append("\r\n");
        headers.forEach(h -> b.append(h).append("\r\n"));
        b.append("Connection: close\r\n\r\n");
        return b.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Where the head of {@code buf[0, len)} ends (after the blank line), or -1 if it has not ended yet. */
    static int end(byte[] buf, int len) {
        for (int i = 3; i < len; i++) {
            if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
                return i + 1;
            }
        }
        return -1;
    }

    /** Parses a complete head (request line, headers, blank line). */
    static RequestHead parse(byte[] buf, int len) {
        String text = new String(buf, 0, len, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r\n", -1);
        String[] line = lines[0].split(" ", -1);
        if (line.length != 3 || !METHOD.matcher(line[0]).matches()
                || !(line[2].equals("HTTP/1.1") || line[2].equals("HTTP/1.0"))) {
            throw new Malformed("malformed request line");
        }
        List<String> headers = new ArrayList<>();
        for (int i = 1; i < lines.length && !lines[i].isEmpty(); i++) {
            int colon = lines[i].indexOf(':');
            if (colon < 1 || !HEADER_NAME.matcher(lines[i].substring(0, colon)).matches()) {
                throw new Malformed("malformed header line");
            }
            if (!DROPPED.contains(lines[i].substring(0, colon).toLowerCase(Locale.ROOT))) {
                headers.add(lines[i]);
            }
        }
        String method = line[0];
        String target = line[1];
        if (method.equals("CONNECT")) {
            Authority a = authority(target, -1);
            return new RequestHead(method, a.host, a.port, Optional.empty(), line[2], List.of());
        }
        if (!target.regionMatches(true, 0, "http://", 0, 7)) {
            throw new Malformed(target.regionMatches(true, 0, "https://", 0, 8)
                    ? "https URLs go through CONNECT" : "only absolute http:// URLs and CONNECT are proxied");
        }
        String rest = target.substring(7);
        int slash = firstOf(rest, "/?#");
        String path = slash < 0 ? "/" : rest.substring(slash);
        if (path.startsWith("?")) {
            path = "/" + path;
        }
        int hash = path.indexOf('#');
        if (hash >= 0) {
            path = path.substring(0, hash);
        }
        Authority a = authority(slash < 0 ? rest : rest.substring(0, slash), 80);
        return new RequestHead(method, a.host, a.port, Optional.of(path), line[2], headers);
    }

    private record Authority(String host, int port) {
    }

    private static Authority authority(String text, int defaultPort) {
        if (text.indexOf('@') >= 0) {
            throw new Malformed("credentials in the URL are not proxied");
        }
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new Malformed("malformed IPv6 literal");
            }
            host = text.substring(1, close);
            String after = text.substring(close + 1);
            if (!after.isEmpty() && !after.startsWith(":")) {
                throw new Malformed("malformed authority");
            }
            port = after.isEmpty() ? null : after.substring(1);
        } else {
            int colon = text.lastIndexOf(':');
            host = colon < 0 ? text : text.substring(0, colon);
            port = colon < 0 ? null : text.substring(colon + 1);
        }
        host = host.toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        boolean v6 = host.indexOf(':') >= 0;
        if (host.isEmpty() || host.length() > 253 || (!v6 && !NAME.matcher(host).matches())
                || (v6 && !host.matches("[0-9a-f:.]+"))) {
            throw new Malformed("malformed host");
        }
        int p;
        if (port == null) {
            if (defaultPort < 0) {
                throw new Malformed("CONNECT needs host:port");
            }
            p = defaultPort;
        } else if (!port.matches("[0-9]{1,5}") || (p = Integer.parseInt(port)) < 1 || p > 65_535) {
            throw new Malformed("malformed port");
        }
        return new Authority(host, p);
    }

    private static int firstOf(String s, String chars) {
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    /** A request the proxy cannot make sense of (400). */
    static final class Malformed extends RuntimeException {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }
}
