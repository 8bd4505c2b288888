/* frame.c - the frame codec of the agent protocol (docs/agent-protocol.md). */
#include "frame.h"

#include <string.h>

uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint8_t *put_u32(uint8_t *p, uint32_t v) {
    p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
    return p + 4;
}

uint8_t *put_u64(uint8_t *p, uint64_t v) {
    return put_u32(put_u32(p, (uint32_t)(v >> 32)), (uint32_t)v);
}

void frame_header(uint8_t *out, uint8_t type, uint32_t id, uint32_t len) {
    put_u32(out, FRAME_MIN_LENGTH + len);
    out[4] = type;
    put_u32(out + 5, id);
}

long frame_decode(const uint8_t *buf, size_t n, struct frame *f) {
    if (n < 4) return 0;
    uint32_t length = get_u32(buf);
    if (length < FRAME_MIN_LENGTH || length > FRAME_MAX_LENGTH) return -1;
    if (n >= 5) {
        uint32_t plen = length - FRAME_MIN_LENGTH;
        int ok;
        switch (buf[4]) {
        case T_RUN: ok = plen >= 4 + 1 + 4 + 4 + 4; break;
        case T_STDIN: case T_PUT: ok = plen >= 1; break;
        case T_SIGNAL: ok = plen == 1; break;
        case T_RESIZE: ok = plen == 4; break;
        case T_STDIN_END: case T_KILL_ALL: case T_STATS: case T_PUT_END: ok = plen == 0; break;
        case T_GET: case T_OUTPUTS: ok = plen >= 8 + 4; break;
        default: ok = 0;
        }
        if (!ok) return -1;
    }
    if (n < 4 + (size_t)length) return 0;
    f->type = buf[4];
    f->id = get_u32(buf + 5);
    f->payload = buf + FRAME_HEADER;
    f->len = length - FRAME_MIN_LENGTH;
    return 4 + (long)length;
}

/* Reads one string into the arena (NUL-terminated); stores it in *slot unless slot is NULL. */
static int take_string(const uint8_t **p, const uint8_t *end, char **arena, char **slot, const char **error) {
    if (end - *p < 4) return -1;
    uint32_t n = get_u32(*p);
    *p += 4;
    if ((size_t)(end - *p) < n) return -1;
    if (memchr(*p, 0, n) && !*error) *error = "NUL byte in a string";
    if (slot) {
        memcpy(*arena, *p, n);
        (*arena)[n] = 0;
        *slot = *arena;
        *arena += n + 1;
    }
    *p += n;
    return 0;
}

static int take_strings(const uint8_t **p, const uint8_t *end, char **arena, char **slots, uint32_t max,
                        uint32_t *count, const char **error, const char *too_many) {
    if (end - *p < 4) return -1;
    uint32_t n = get_u32(*p);
    *p += 4;
    if (n > (uint32_t)(end - *p) / 4) return -1;      /* each string needs at least its length */
    if (n > max && !*error) *error = too_many;
    for (uint32_t i = 0; i < n; i++)
        if (take_string(p, end, arena, i < max ? &slots[i] : NULL, error)) return -1;
    slots[n < max ? n : max] = NULL;
    *count = n;
    return 0;
}

int run_decode(const uint8_t *p, uint32_t len, struct run_req *r, char *arena) {
    const uint8_t *end = p + len;
    r->error = NULL;
    if (len < 5) return -1;
    r->deadline_ms = get_u32(p);
    r->stdin_mode = p[4];
    p += 5;
    if (take_string(&p, end, &arena, &r->cwd, &r->error)) return -1;
    if (take_strings(&p, end, &arena, r->argv, RUN_MAX_ARGV, &r->argc, &r->error, "more than 256 argv entries"))
        return -1;
    if (take_strings(&p, end, &arena, r->envp, RUN_MAX_ENV, &r->envc, &r->error, "more than 1024 env entries"))
        return -1;
    r->remove_after = NULL;
    if (p != end && take_string(&p, end, &arena, &r->remove_after, &r->error)) return -1;   /* optional */
    if (r->remove_after && !*r->remove_after) r->remove_after = NULL;
    r->cols = 80;
    r->rows = 24;
    if (p != end) {                                          /* optional terminal size */
        if (end - p != 4) return -1;
        r->cols = (uint16_t)(p[0] << 8 | p[1]);
        r->rows = (uint16_t)(p[2] << 8 | p[3]);
        p += 4;
    }
    if (!r->error && r->argc == 0) r->error = "argv is empty";
    if (!r->error && r->stdin_mode > 2) r->error = "unknown stdinMode";
    if (!r->error && (r->cols == 0 || r->rows == 0 || r->cols > 1000 || r->rows > 1000))
        r->error = "terminal size out of range";
    return 0;
}

int files_decode(const uint8_t *p, uint32_t len, int many, struct files_req *r, char *arena) {
    const uint8_t *end = p + len;
    r->error = NULL;
    if (len < 12) return -1;
    r->max_bytes = (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
    p += 8;
    if (many) {
        if (take_strings(&p, end, &arena, r->paths, OUTPUTS_MAX_PATHS, &r->count, &r->error,
                         "more than 256 paths")) return -1;
    } else {
        if (take_string(&p, end, &arena, &r->paths[0], &r->error)) return -1;
        r->paths[1] = NULL;
        r->count = 1;
    }
    if (p != end) return -1;
    for (uint32_t i = 0; !r->error && i < r->count && i < OUTPUTS_MAX_PATHS; i++)
        if (r->paths[i][0] != '/') r->error = "a path is not absolute";
    return 0;
}
