package io.isol8.engine.agent;

import java.util.function.Consumer;

/**
 * Turns a byte stream into messages, however the stream is cut into chunks. Holds at most one frame: the length
 * field is checked before the frame's buffer is allocated, so no input makes it allocate more than
 * {@link Frames#MAX_LENGTH} bytes. After the first {@link ProtocolException} it refuses all further input. Not
 * thread-safe: one reader per channel.
 */
public final class FrameDecoder {
    private final byte[] header = new byte[4];
    private int headerFill;
    private byte[] body;
    private int bodyFill;
    private String failure;

    /**
     * Decodes {@code b[off, off+len)}, passing every completed message to {@code out} in order.
     *
     * @throws ProtocolException the bytes broke the protocol (now or earlier)
     */
    public void feed(byte[] b, int off, int len, Consumer<Message> out) throws ProtocolException {
        if (failure != null) {
            throw new ProtocolException(failure);
        }
        int end = off + len;
        while (off < end) {
            if (body == null) {
                int n = Math.min(4 - headerFill, end - off);
                System.arraycopy(b, off, header, headerFill, n);
                headerFill += n;
                off += n;
                if (headerFill < 4) {
                    return;
                }
                long length = ((header[0] & 0xFFL) << 24) | ((header[1] & 0xFF) << 16) | ((header[2] & 0xFF) << 8)
                        | (header[3] & 0xFF);
                if (!Frames.lengthOk(length)) {
                    throw fail("frame length " + length + " out of range 5.." + Frames.MAX_LENGTH);
                }
                body = new byte[(int) length];
                bodyFill = 0;
            }
            int n = Math.min(body.length - bodyFill, end - off);
            System.arraycopy(b, off, body, bodyFill, n);
            bodyFill += n;
            off += n;
            if (bodyFill == body.length) {
                byte[] complete = body;
                body = null;
                headerFill = 0;
                Message m;
                try {
                    m = Frames.decode(complete);
                } catch (ProtocolException e) {
                    throw fail(e.getMessage());
                }
                out.accept(m);
            }
        }
    }

    /** Whether the input so far ended exactly at a frame boundary. */
    public boolean atBoundary() {
        return body == null && headerFill == 0;
    }

    private ProtocolException fail(String why) {
        failure = why;
        return new ProtocolException(why);
    }
}
