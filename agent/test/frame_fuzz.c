/* Random-frame fuzz test of the decoder: valid frames, mutated frames and random bytes. The decoder
 * must never read out of bounds (ASan), never crash, and answer consistently: a frame accepted once is
 * accepted again with the same size; every prefix of an accepted frame asks for more bytes or is
 * rejected early, never accepted; an accepted run payload decodes to strings inside the payload's
 * bounds. Usage: frame_fuzz [iterations] [seed] */
#include "frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng;
static uint32_t next(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static uint8_t buf[FRAME_MAX_TOTAL + 64];
static char arena[FRAME_MAX_PAYLOAD];
static struct run_req req;

static void fail(const char *what, long i) {
    fprintf(stderr, "frame_fuzz: %s at iteration %ld\n", what, i);
    exit(1);
}

/* A plausible frame: one of the server's types with a mostly well-formed payload. */
static size_t valid(void) {
    static const uint8_t types[] = {T_RUN, T_STDIN, T_STDIN_END, T_SIGNAL, T_KILL_ALL, T_STATS, T_PUT, T_PUT_END,
                                    T_GET, T_OUTPUTS};
    uint8_t type = types[next() % 10];
    size_t len = 0;
    uint8_t *p = buf + FRAME_HEADER;
    switch (type) {
    case T_STDIN: case T_PUT: len = 1 + next() % (next() % 8 ? 64 : FRAME_MAX_PAYLOAD); break;
    case T_GET: case T_OUTPUTS: {
        uint8_t *q = put_u64(p, next());
        int count = next() % 4;
        if (type == T_OUTPUTS) q = put_u32(q, count);
        for (int i = 0; i < (type == T_OUTPUTS ? count : 1); i++) {
            uint32_t n = next() % 12;
            q = put_u32(q, n);
            for (uint32_t k = 0; k < n; k++) *q++ = k == 0 && next() % 4 ? '/' : 'a' + next() % 26;
        }
        len = q - p;
        break;
    }
    case T_SIGNAL: len = 1; p[0] = next(); break;
    case T_RUN: {
        uint8_t *q = put_u32(p, next() % 10000);
        *q++ = next() % 3;
        int strings = next() % 6, argc = 1 + next() % 3;
        q = put_u32(q, 2); memcpy(q, "/s", 2); q += 2;
        q = put_u32(q, argc);
        for (int i = 0; i < strings; i++) {
            if (i == argc) q = put_u32(q, strings - argc);
            uint32_t n = next() % 12;
            q = put_u32(q, n);
            for (uint32_t k = 0; k < n; k++) *q++ = 'a' + next() % 26;
        }
        if (strings <= argc) { for (int i = strings; i < argc; i++) q = put_u32(q, 0); q = put_u32(q, 0); }
        len = q - p;
        break;
    }
    }
    if (type == T_STDIN || type == T_PUT) for (size_t k = 0; k < len; k++) p[k] = next();
    frame_header(buf, type, next(), (uint32_t)len);
    return FRAME_HEADER + len;
}

/* Decodes from an exact-size heap copy, so that ASan reports any read past the input. */
static long decode_exact(size_t n, struct frame *f) {
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, buf, n);
    long r = frame_decode(copy, n, f);
    if (r > 0) f->payload = buf + (f->payload - copy);
    free(copy);
    return r;
}

static int run_exact(const uint8_t *p, uint32_t len) {
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, p, len);
    int r = run_decode(copy, len, &req, arena);
    free(copy);
    return r;
}

static struct files_req freq;

static int files_exact(const uint8_t *p, uint32_t len, int many) {
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, p, len);
    int r = files_decode(copy, len, many, &freq, arena);
    free(copy);
    if (r == 0 && !freq.error) {
        for (uint32_t k = 0; k < freq.count; k++)
            if (freq.paths[k] < arena || freq.paths[k] >= arena + sizeof arena || freq.paths[k][0] != '/')
                return -2;
        if (freq.paths[freq.count]) return -2;
    }
    return r;
}

static void check(size_t n, long i) {
    struct frame f, g;
    long r = decode_exact(n, &f);
    if (r < -1 || r > (long)n) fail("size out of range", i);
    if (r > 0) {
        if (r < FRAME_HEADER || r > FRAME_MAX_TOTAL) fail("accepted size outside the limits", i);
        if (decode_exact(n, &g) != r || g.type != f.type || g.id != f.id || g.len != f.len)
            fail("inconsistent answers", i);
        if (f.payload != buf + FRAME_HEADER || f.len != (uint32_t)r - FRAME_HEADER) fail("payload bounds", i);
        for (size_t k = 0; k < (size_t)r; k += 1 + next() % 97)
            if (decode_exact(k, &g) > 0) fail("a prefix was accepted", i);
        if (f.type == T_RUN && run_exact(f.payload, f.len) == 0 && !req.error) {
            if (!req.argc || req.argc > RUN_MAX_ARGV || req.envc > RUN_MAX_ENV) fail("run counts", i);
            if (run_decode(f.payload, f.len, &req, arena) != 0 || req.error) fail("run decoded differently", i);
            for (uint32_t k = 0; k < req.argc; k++)
                if (req.argv[k] < arena || req.argv[k] >= arena + sizeof arena) fail("argv outside the arena", i);
            if (req.argv[req.argc] || req.envp[req.envc]) fail("lists not NULL-terminated", i);
        }
    } else if (r == 0) {
        if (n >= 4 && get_u32(buf) >= 5 && n >= 4 + (size_t)get_u32(buf) && get_u32(buf) <= FRAME_MAX_LENGTH)
            fail("a whole frame asked for more", i);
    }
}

int main(int argc, char **argv) {
    long iterations = argc > 1 ? atol(argv[1]) : 100000;
    rng = argc > 2 ? strtoull(argv[2], NULL, 10) : 0x9e3779b97f4a7c15ULL;
    if (!rng) rng = 1;
    long accepted = 0, rejected = 0, partial = 0;
    for (long i = 0; i < iterations; i++) {
        size_t n;
        switch (next() % 4) {
        case 0: n = valid(); break;
        case 1:                                               /* a valid frame with a few bytes flipped */
            n = valid();
            for (int k = 1 + next() % 4; k; k--) buf[next() % n] ^= 1 << (next() % 8);
            break;
        case 2:                                               /* a valid frame, cut short or extended */
            n = valid();
            n = next() % 2 ? next() % (n + 1) : n + next() % 64;
            break;
        default:                                              /* random bytes */
            n = next() % 64;
            for (size_t k = 0; k < n; k++) buf[k] = next();
        }
        struct frame f;
        long r = frame_decode(buf, n, &f);
        r > 0 ? accepted++ : r == 0 ? partial++ : rejected++;
        check(n, i);
        if (r > 0 && f.type == T_RUN) {                       /* the run decoder on every cut of the payload */
            for (int k = 0; k < 4; k++) run_exact(f.payload, next() % (f.len + 1));
        }
        if (r > 0 && (f.type == T_GET || f.type == T_OUTPUTS)) {
            for (int k = 0; k < 4; k++)
                if (files_exact(f.payload, k ? next() % (f.len + 1) : f.len, f.type == T_OUTPUTS) == -2)
                    fail("paths outside the arena or not absolute", i);
        }
    }
    printf("frame_fuzz: %ld frames: %ld accepted, %ld need more bytes, %ld rejected\n", iterations, accepted,
           partial, rejected);
    return 0;
}
