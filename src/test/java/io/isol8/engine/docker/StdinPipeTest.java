package io.isol8.engine.docker;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StdinPipeTest {
    private static long soon() {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
    }

    @Test
    void bytesComeOutInOrderWhileTheRingGrowsAndWraps() throws Exception {
        StdinPipe pipe = new StdinPipe(100_000);
        Random random = new Random(7);
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[7_000];
        for (int round = 0; round < 200; round++) {
            byte[] b = new byte[1 + random.nextInt(30_000)];
            random.nextBytes(b);
            assertTrue(pipe.write(b, soon()));
            in.writeBytes(b);
            while (pipe.available() > random.nextInt(60_000)) {
                out.write(buf, 0, pipe.read(buf, 0, buf.length));
            }
        }
        pipe.close();
        for (int n; (n = pipe.read(buf, 0, buf.length)) > 0; ) {
            out.write(buf, 0, n);
        }
        assertArrayEquals(in.toByteArray(), out.toByteArray());
    }

    @Test
    void aFullPipeRefusesAfterTheDeadlineAndAClosedOneAtOnce() throws Exception {
        StdinPipe pipe = new StdinPipe(64 * 1024);
        assertTrue(pipe.write(new byte[64 * 1024], soon()));
        assertEquals(64 * 1024, pipe.available());
        long start = System.nanoTime();
        assertFalse(pipe.write(new byte[1], soon()));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(150));
        pipe.close();
        assertFalse(pipe.write(new byte[1], soon()));
        byte[] rest = new byte[100_000];
        assertEquals(64 * 1024, pipe.read(rest, 0, rest.length), "pending bytes are still read");
        assertEquals(-1, pipe.read(rest, 0, rest.length));
    }
}
