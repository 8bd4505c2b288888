package io.isol8.engine.egress;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** Opens the proxy's upstream connections: to the one address the proxy checked, never to a name. */
public interface Dialer {
    /** Plain TCP connections. */
    Dialer TCP = (address, timeoutMs) -> {
        Socket s = new Socket();
        try {
            s.connect(address, timeoutMs);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    };

    /**
     * A connected socket to {@code address} (resolved: it carries an address, no name is looked up).
     *
     * @throws IOException refused, unreachable or not connected within {@code timeoutMs}
     */
    Socket dial(InetSocketAddress address, int timeoutMs) throws IOException;
}
