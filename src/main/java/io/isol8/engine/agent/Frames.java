package io.isol8.engine.agent;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes and decodes single frames: {@code u32 length | u8 type | u32 id | payload}, {@code 5 ≤ length ≤ 65 541}.
 * Every violation of the protocol's format is a {@link ProtocolException}; nothing else escapes decoding.
 */
public final class Frames {
    /** Largest payload: 64 KiB. */
    public static final int MAX_PAYLOAD = 65_536;
    /** Largest value of the length field (type + id + payload). */
    public static final int MAX_LENGTH = MAX_PAYLOAD + 5;
    /** The protocol version this codec speaks. */
    public static final int VERSION = 2;

    static final int RUN = 0x01, STDIN = 0x02, STDIN_END = 0x03, SIGNAL = 0x04, KILL_ALL = 0x05, STATS_REQ = 0x06,
            PUT = 0x07, PUT_END = 0x08, GET = 0x09, OUTPUTS = 0x0A, RESIZE = 0x0B;
    static final int HELLO = 0x80, STARTED = 0x81, STDOUT = 0x82, STDERR = 0x83, EXIT = 0x84, ERROR = 0x85,
            STATS = 0x86, DONE = 0x87, ACK = 0x88, DATA = 0x89;

    private Frames() {
    }

    /**
     * The bytes of one frame carrying {@code m}.
     *
     * @throws IllegalArgumentException the payload would exceed {@link #MAX_PAYLOAD} or a data message is empty
     */
    public static byte[] encode(Message m) {
        Out out = new Out();
        int type = switch (m) {
            case Message.Run r -> {
                out.u32(r.deadlineMs()).u8(r.terminal() ? 2 : r.streamStdin() ? 1 : 0).string(r.cwd())
                        .strings(r.argv()).strings(r.env());
                if (!r.removeAfter().isEmpty() || r.terminal()) {
                    out.string(r.removeAfter());
                }
                if (r.terminal()) {
                    out.u16(r.cols()).u16(r.rows());
                }
                yield RUN;
            }
            case Message.Stdin s -> {
                out.data(s.data());
                yield STDIN;
            }
            case Message.StdinEnd s -> STDIN_END;
            case Message.Signal s -> {
                out.u8(s.signo());
                yield SIGNAL;
            }
            case Message.Resize r -> {
                out.u16(r.cols()).u16(r.rows());
                yield RESIZE;
            }
            case Message.KillAll k -> KILL_ALL;
            case Message.StatsRequest s -> STATS_REQ;
            case Message.Put p -> {
                out.data(p.data());
                yield PUT;
            }
            case Message.PutEnd p -> PUT_END;
            case Message.Get g -> {
                out.u64(g.maxBytes()).string(g.path());
                yield GET;
            }
            case Message.Outputs o -> {
                out.u64(o.maxTotal()).strings(o.paths());
                yield OUTPUTS;
            }
            case Message.Data d -> {
                out.data(d.data());
                yield DATA;
            }
            case Message.Hello h -> {
                out.u32(h.protocolVersion()).u8(h.cgroupVersion()).string(h.agentVersion());
                yield HELLO;
            }
            case Message.Started s -> {
                out.u32(s.pid());
                yield STARTED;
            }
            case Message.Output o -> {
                out.data(o.data());
                yield o.stderr() ? STDERR : STDOUT;
            }
            case Message.Exit e -> {
                out.i32(e.code()).u8(e.signal()).u8(e.flags()).u64(e.cpuUs()).u64(e.peakRssKb()).u64(e.wallUs());
                yield EXIT;
            }
            case Message.Error e -> {
                out.string(e.message());
                yield ERROR;
            }
            case Message.Stats s -> {
                out.u64(s.memoryBytes()).u64(s.memoryPeakBytes()).u64(s.oomKills()).u64(s.cpuNs())
                        .u64(s.netRxBytes()).u64(s.netTxBytes());
                yield STATS;
            }
            case Message.Done d -> DONE;
            case Message.Ack a -> {
                out.u32(a.bytes());
                yield ACK;
            }
        };
        byte[] payload = out.toBytes();
        if (payload.length > MAX_PAYLOAD) {
            throw new IllegalArgumentException("frame payload of " + payload.length + " bytes exceeds " + MAX_PAYLOAD);
        }
        ByteBuffer frame = ByteBuffer.allocate(9 + payload.length);
        frame.putInt(5 + payload.length).put((byte) type).putInt(m.id()).put(payload);
        return frame.array();
    }

    /** Whether {@code length} (the frame's first field, unsigned) is within the protocol's range. */
    static boolean lengthOk(long length) {
        return length >= 5 && length <= MAX_LENGTH;
    }

    /**
     * The message of one frame whose length field was already checked.
     *
     * @param body the frame after its length field: type, id, payload
     */
    static Message decode(byte[] body) throws ProtocolException {
        if (body.length < 5 || body.length > MAX_LENGTH) {
            throw new ProtocolException("frame length " + body.length + " out of range");
        }
        ByteBuffer in = ByteBuffer.wrap(body);
        int type = in.get() & 0xFF;
        int id = in.getInt();
        In p = new In(in);
        try {
            Message m = switch (type) {
                case RUN -> {
                    long deadline = p.u32();
                    int mode = p.u8();
                    if (mode > 2) {
                        throw new ProtocolException("stdinMode " + mode + " is not 0, 1 or 2");
                    }
                    String cwd = p.cString();
                    List<String> argv = p.cStrings();
                    List<String> env = p.cStrings();
                    String removeAfter = in.hasRemaining() ? p.cString() : "";
                    int cols = 0;
                    int rows = 0;
                    if (in.hasRemaining()) {
                        cols = p.u16();
                        rows = p.u16();
                    }
                    if (mode == 2 && cols == 0) {
                        cols = 80;
                        rows = 24;
                    }
                    if (mode != 2 && cols != 0) {
                        throw new ProtocolException("a terminal size without stdinMode 2");
                    }
                    try {
                        yield new Message.Run(id, deadline, mode >= 1, cwd, argv, env, removeAfter, cols, rows);
                    } catch (IllegalArgumentException e) {
                        throw new ProtocolException(e.getMessage());
                    }
                }
                case RESIZE -> new Message.Resize(id, p.u16(), p.u16());
                case STDIN -> new Message.Stdin(id, p.data());
                case STDIN_END -> new Message.StdinEnd(id);
                case SIGNAL -> new Message.Signal(id, p.u8());
                case KILL_ALL -> new Message.KillAll(id);
                case STATS_REQ -> new Message.StatsRequest(id);
                case PUT -> new Message.Put(id, p.data());
                case PUT_END -> new Message.PutEnd(id);
                case GET -> new Message.Get(id, in.getLong(), p.cString());
                case OUTPUTS -> new Message.Outputs(id, in.getLong(), p.cStrings());
                case DATA -> new Message.Data(id, p.data());
                case HELLO -> new Message.Hello(id, p.u32(), p.u8(), p.string());
                case STARTED -> new Message.Started(id, p.u32());
                case STDOUT -> new Message.Output(id, false, p.data());
                case STDERR -> new Message.Output(id, true, p.data());
                case EXIT -> new Message.Exit(id, in.getInt(), p.u8(), p.u8(), in.getLong(), in.getLong(), in.getLong());
                case ERROR -> new Message.Error(id, p.string());
                case STATS -> new Message.Stats(id, in.getLong(), in.getLong(), in.getLong(), in.getLong(),
                        in.getLong(), in.getLong());
                case DONE -> new Message.Done(id);
                case ACK -> new Message.Ack(id, p.u32());
                default -> throw new ProtocolException("unknown frame type 0x" + Integer.toHexString(type));
            };
            if (in.hasRemaining()) {
                throw new ProtocolException("frame type 0x" + Integer.toHexString(type) + " has " + in.remaining()
                        + " bytes after its payload");
            }
            return m;
        } catch (BufferUnderflowException e) {
            throw new ProtocolException("frame type 0x" + Integer.toHexString(type) + " is shorter than its payload");
        }
    }

    /** Payload reader: every length is checked against what is left before anything is allocated. */
    private record In(ByteBuffer in) {
        long u32() {
            return in.getInt() & 0xFFFF_FFFFL;
        }

        int u16() {
            return in.getShort() & 0xFFFF;
        }

        int u8() {
            return in.get() & 0xFF;
        }

        byte[] data() throws ProtocolException {
            if (!in.hasRemaining()) {
                throw new ProtocolException("data frame without data");
            }
            byte[] b = new byte[in.remaining()];
            in.get(b);
            return b;
        }

        String string() throws ProtocolException {
            long n = u32();
            if (n > in.remaining()) {
                throw new ProtocolException("string of " + n + " bytes in " + in.remaining());
            }
            ByteBuffer slice = in.slice(in.position(), (int) n);
            in.position(in.position() + (int) n);
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(slice);
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw new ProtocolException("string is not UTF-8");
            }
        }

        /** A string of a command line (cwd, argv, env): no NUL byte. */
        String cString() throws ProtocolException {
            String s = string();
            if (s.indexOf('\0') >= 0) {
                throw new ProtocolException("NUL byte in a run's string");
            }
            return s;
        }

        List<String> cStrings() throws ProtocolException {
            long count = u32();
            if (count > in.remaining() / 4) {
                throw new ProtocolException("list of " + count + " strings in " + in.remaining() + " bytes");
            }
            List<String> list = new ArrayList<>((int) count);
            for (long i = 0; i < count; i++) {
                list.add(cString());
            }
            return list;
        }
    }

    /** Payload writer. */
    private static final class Out {
        private final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();

        Out u8(int v) {
            if (v < 0 || v > 0xFF) {
                throw new IllegalArgumentException("u8 out of range: " + v);
            }
            bytes.write(v);
            return this;
        }

        Out u16(int v) {
            if (v < 0 || v > 0xFFFF) {
                throw new IllegalArgumentException("u16 out of range: " + v);
            }
            bytes.write(v >>> 8);
            bytes.write(v & 0xFF);
            return this;
        }

        Out i32(int v) {
            bytes.writeBytes(ByteBuffer.allocate(4).putInt(v).array());
            return this;
        }

        Out u32(long v) {
            if (v < 0 || v > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("u32 out of range: " + v);
            }
            return i32((int) v);
        }

        Out u64(long v) {
            bytes.writeBytes(ByteBuffer.allocate(8).putLong(v).array());
            return this;
        }

        Out data(byte[] b) {
            if (b.length == 0) {
                throw new IllegalArgumentException("data frame without data");
            }
            bytes.writeBytes(b);
            return this;
        }

        Out string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u32(b.length);
            bytes.writeBytes(b);
            return this;
        }

        Out strings(List<String> list) {
            u32(list.size());
            list.forEach(this::string);
            return this;
        }

        byte[] toBytes() {
            return bytes.toByteArray();
        }
    }
}
