package io.isol8.engine.egress;

import io.isol8.core.Cidr;
import io.isol8.core.Isol8Exception.BadRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The code fetcher against a loopback server; addresses outside the machine go to the recording dialer. */
class CodeFetcherTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final EgressProxyTest.RecordingDialer dialer = new EgressProxyTest.RecordingDialer();
    private final EgressProxyTest.MapResolver resolver = new EgressProxyTest.MapResolver();
    private final Map<String, String> answers = new ConcurrentHashMap<>();
    private ServerSocket server;

    @AfterEach
    void close() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private int serve() throws IOException {
        server = new ServerSocket(0, 50, LOOPBACK);
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s) {
                            String head = EgressProxyTest.readHead(s);
                            String path = head.split(" ")[1];
                            String answer = answers.getOrDefault(path, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                            if (answer.equals("SILENT")) {
                                Thread.sleep(5000);
                                return;
                            }
                            OutputStream out = s.getOutputStream();
                            out.write(answer.getBytes(StandardCharsets.UTF_8));
                        } catch (IOException | InterruptedException e) {
                            // gone
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
        return server.getLocalPort();
    }

    private CodeFetcher fetcher(List<String> allowedHosts, boolean http, long max, long timeoutMs) {
        return new CodeFetcher(new AddressRules(List.of(Cidr.parse("127.0.0.1/32").orElseThrow()), Set::of),
                allowedHosts, http, max, timeoutMs, resolver, dialer);
    }

    private byte[] fetch(CodeFetcher f, String url) {
        return f.fetch(f.check(url, true), true);
    }

    @Test
    void fetchesPlainChunkedAndRedirectedCode() throws Exception {
        int port = serve();
        resolver.put("code.test", LOOPBACK);
        answers.put("/a.py", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nprint(1)\n");
        answers.put("/c.py", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nprint\r\n4\r\n(2)\n\r\n0\r\n\r\n");
        answers.put("/r", "HTTP/1.1 301 Moved\r\nLocation: /a.py\r\nContent-Length: 0\r\n\r\n");
        CodeFetcher f = fetcher(List.of(), true, 1024, 5000);
        String base = "http://code.test:" + port;
        assertThat(new String(fetch(f, base + "/a.py"), StandardCharsets.UTF_8)).isEqualTo("print(1)\n");
        assertThat(new String(fetch(f, base + "/c.py"), StandardCharsets.UTF_8)).isEqualTo("print(2)\n");
        assertThat(new String(fetch(f, base + "/r"), StandardCharsets.UTF_8)).isEqualTo("print(1)\n");
    }

    @Test
    void redirectsIntoPrivateAddressesAreRefusedWithoutConnecting() throws Exception {
        int port = serve();
        resolver.put("code.test", LOOPBACK);
        resolver.put("inside.test", InetAddress.getByName("10.0.0.8"));
        answers.put("/r1", "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest\r\nContent-Length: 0\r\n\r\n");
        answers.put("/r2", "HTTP/1.1 302 Found\r\nLocation: http://inside.test/x\r\nContent-Length: 0\r\n\r\n");
        answers.put("/r3", "HTTP/1.1 302 Found\r\nLocation: ftp://code.test/x\r\nContent-Length: 0\r\n\r\n");
        answers.put("/loop", "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
        CodeFetcher f = fetcher(List.of(), true, 1024, 5000);
        String base = "http://code.test:" + port;
        assertThatThrownBy(() -> fetch(f, base + "/r1")).isInstanceOf(BadRequest.class)
                .hasMessageContaining("169.254.169.254").hasMessageContaining("refused range");
        assertThatThrownBy(() -> fetch(f, base + "/r2")).hasMessageContaining("10.0.0.8");
        assertThatThrownBy(() -> fetch(f, base + "/r3")).hasMessageContaining("must be an https URL");
        assertThatThrownBy(() -> fetch(f, base + "/loop")).hasMessageContaining("redirects more than 5 times");
        assertThatThrownBy(() -> fetch(f, "http://[fd00::1]/x")).hasMessageContaining("refused range");
        assertThat(dialer.attempts).isEmpty();
    }

    @Test
    void sizeTimeStatusAndSchemeAreBounded() throws Exception {
        int port = serve();
        resolver.put("code.test", LOOPBACK);
        answers.put("/big", "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + "#".repeat(2000));
        answers.put("/bigclose", "HTTP/1.1 200 OK\r\n\r\n" + "#".repeat(2000));
        answers.put("/slow", "SILENT");
        CodeFetcher f = fetcher(List.of(), true, 1024, 500);
        String base = "http://code.test:" + port;
        assertThatThrownBy(() -> fetch(f, base + "/big")).hasMessageContaining("exceeds remoteCode.maxCodeBytes");
        assertThatThrownBy(() -> fetch(f, base + "/bigclose")).hasMessageContaining("exceeds remoteCode.maxCodeBytes");
        assertThatThrownBy(() -> fetch(f, base + "/missing")).hasMessage("request.codeUrl answered HTTP 404");
        long start = System.nanoTime();
        assertThatThrownBy(() -> fetch(f, base + "/slow")).hasMessageContaining("remoteCode.fetchTimeoutMs");
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(3000);
        CodeFetcher httpsOnly = fetcher(List.of(), false, 1024, 500);
        assertThatThrownBy(() -> httpsOnly.check(base + "/a", true)).hasMessageContaining("remoteCode.allowInsecure");
        assertThatThrownBy(() -> f.check(base + "/a", false)).hasMessageContaining("allowInsecureCodeUrl");
        assertThatThrownBy(() -> f.check("http://u:p@code.test/a", true)).hasMessageContaining("credentials");
        assertThatThrownBy(() -> fetcher(List.of("^code\\.example$"), true, 1, 1).check(base, true))
                .hasMessageContaining("remoteCode.allowedHosts");
    }
}
