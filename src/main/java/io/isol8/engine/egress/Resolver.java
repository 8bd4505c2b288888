package io.isol8.engine.egress;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;

/** Turns a host name into addresses, once per connection; the proxy checks every answer. */
public interface Resolver {
    /** The system resolver of the server's machine. */
    Resolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));

    /**
     * The addresses of {@code host} (a name, never a literal).
     *
     * @throws IOException the name does not resolve
     */
    List<InetAddress> resolve(String host) throws IOException;
}
