/* frame.h - the frame codec of the agent protocol (docs/agent-protocol.md). No allocation, no I/O. */
#ifndef ISOL8_FRAME_H
#define ISOL8_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER 9                               /* length u32, type u8, id u32 */
#define FRAME_MAX_PAYLOAD 65536
#define FRAME_MIN_LENGTH 5                           /* the length field counts type + id + payload */
#define FRAME_MAX_LENGTH (5 + FRAME_MAX_PAYLOAD)
#define FRAME_MAX_TOTAL (4 + FRAME_MAX_LENGTH)
#define RUN_MAX_ARGV 256
#define RUN_MAX_ENV 1024
#define OUTPUTS_MAX_PATHS 256

enum {
    T_RUN = 0x01, T_STDIN = 0x02, T_STDIN_END = 0x03, T_SIGNAL = 0x04, T_KILL_ALL = 0x05, T_STATS = 0x06,
    T_PUT = 0x07, T_PUT_END = 0x08, T_GET = 0x09, T_OUTPUTS = 0x0A, T_RESIZE = 0x0B,
    T_HELLO = 0x80, T_STARTED = 0x81, T_STDOUT = 0x82, T_STDERR = 0x83, T_EXIT = 0x84, T_ERROR = 0x85,
    T_STATS_REPLY = 0x86, T_DONE = 0x87, T_ACK = 0x88, T_DATA = 0x89
};

struct frame {
    uint8_t type;
    uint32_t id;
    const uint8_t *payload;
    uint32_t len;                                    /* payload bytes */
};

/* A decoded run request; the strings point into the caller's arena and are NUL-terminated. */
struct run_req {
    uint32_t deadline_ms;
    uint8_t stdin_mode;
    char *cwd;
    char *argv[RUN_MAX_ARGV + 1];                    /* NULL-terminated */
    char *envp[RUN_MAX_ENV + 1];                     /* NULL-terminated */
    uint32_t argc, envc;
    char *remove_after;                              /* NULL when absent or empty */
    uint16_t cols, rows;                             /* terminal size (stdin_mode 2); 80x24 when absent */
    const char *error;                               /* set when a limit is broken (answered with error) */
};

/* A decoded get (one path) or outputs (up to OUTPUTS_MAX_PATHS) request; strings in the caller's arena. */
struct files_req {
    uint64_t max_bytes;
    char *paths[OUTPUTS_MAX_PATHS + 1];              /* NULL-terminated */
    uint32_t count;
    const char *error;
};

/* The frame at buf[0..n): returns its total size when complete and valid (a server -> agent type with
 * a payload of the right shape for stdin, stdin-end, signal, kill-all, stats, put, put-end), 0 when more bytes are
 * needed, -1 when the channel must be dropped (length out of range, unknown type, bad payload size). */
long frame_decode(const uint8_t *buf, size_t n, struct frame *f);

/* Decodes a run payload. arena needs FRAME_MAX_PAYLOAD bytes. Returns -1 when the payload does not
 * parse (drop the channel), else 0; r->error is non-NULL when a limit is broken. */
int run_decode(const uint8_t *p, uint32_t len, struct run_req *r, char *arena);

/* Decodes a get (u64 max, string path) or outputs (u64 max, strings paths) payload; same contract as
 * run_decode. */
int files_decode(const uint8_t *p, uint32_t len, int many, struct files_req *r, char *arena);

/* Writes a frame header for a payload of len bytes (len <= FRAME_MAX_PAYLOAD). */
void frame_header(uint8_t *out, uint8_t type, uint32_t id, uint32_t len);

uint8_t *put_u32(uint8_t *p, uint32_t v);
uint8_t *put_u64(uint8_t *p, uint64_t v);
uint32_t get_u32(const uint8_t *p);

#endif
