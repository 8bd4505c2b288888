/* Unit tests of the frame codec (frame.c): every limit of docs/agent-protocol.md, truncated input,
 * oversized lengths, unknown types and malformed run payloads. */
#include "frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures, checks;
#define CHECK(c) do { checks++; if (!(c)) { failures++; fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); } } while (0)

static uint8_t buf[2 * FRAME_MAX_TOTAL];
static char arena[FRAME_MAX_PAYLOAD];
static struct run_req req;

/* A frame of the given type and id with payload p[0..len). Returns its size. */
static size_t make(uint8_t *out, uint8_t type, uint32_t id, const void *p, size_t len) {
    frame_header(out, type, id, (uint32_t)len);
    if (len) memcpy(out + FRAME_HEADER, p, len);
    return FRAME_HEADER + len;
}

/* A run payload builder. */
static uint8_t pay[FRAME_MAX_PAYLOAD + 1024];
static size_t plen;
static void p_u32(uint32_t v) { put_u32(pay + plen, v); plen += 4; }
static void p_str(const char *s, size_t n) { p_u32((uint32_t)n); memcpy(pay + plen, s, n); plen += n; }
static void run_start(uint32_t deadline, uint8_t mode, const char *cwd) {
    plen = 0; p_u32(deadline); pay[plen++] = mode; p_str(cwd, strlen(cwd));
}

static void test_header_round_trip(void) {
    uint8_t b[FRAME_HEADER];
    frame_header(b, T_EXIT, 0xdeadbeef, 30);
    CHECK(get_u32(b) == 35);
    CHECK(b[4] == T_EXIT);
    CHECK(get_u32(b + 5) == 0xdeadbeef);
    uint8_t w[8];
    put_u64(w, 0x0102030405060708ULL);
    CHECK(w[0] == 1 && w[7] == 8);
}

static void test_decode_each_type(void) {
    struct frame f;
    size_t n = make(buf, T_STDIN, 7, "abc", 3);
    CHECK(frame_decode(buf, n, &f) == (long)n);
    CHECK(f.type == T_STDIN && f.id == 7 && f.len == 3 && memcmp(f.payload, "abc", 3) == 0);
    n = make(buf, T_STDIN_END, 7, NULL, 0);
    CHECK(frame_decode(buf, n, &f) == (long)n && f.len == 0);
    n = make(buf, T_SIGNAL, 7, "\x0f", 1);
    CHECK(frame_decode(buf, n, &f) == (long)n && f.payload[0] == 15);
    n = make(buf, T_KILL_ALL, 9, NULL, 0);
    CHECK(frame_decode(buf, n, &f) == (long)n);
    n = make(buf, T_STATS, 0, NULL, 0);
    CHECK(frame_decode(buf, n, &f) == (long)n);
}

static void test_two_frames_in_one_buffer(void) {
    struct frame f;
    size_t a = make(buf, T_STATS, 1, NULL, 0);
    size_t b = make(buf + a, T_STDIN, 2, "xy", 2);
    CHECK(frame_decode(buf, a + b, &f) == (long)a && f.id == 1);
    CHECK(frame_decode(buf + a, b, &f) == (long)b && f.id == 2 && f.len == 2);
}

static void test_truncated_input_needs_more(void) {
    struct frame f;
    size_t n = make(buf, T_STDIN, 3, "hello", 5);
    for (size_t k = 0; k < n; k++) CHECK(frame_decode(buf, k, &f) == 0);
    CHECK(frame_decode(buf, n, &f) == (long)n);
}

static void test_length_limits(void) {
    struct frame f;
    /* length 4 (< type + id) and 0 are rejected from the length field alone */
    put_u32(buf, 4); CHECK(frame_decode(buf, 4, &f) == -1);
    put_u32(buf, 0); CHECK(frame_decode(buf, 4, &f) == -1);
    /* one byte over the maximum: rejected before the payload arrives */
    put_u32(buf, FRAME_MAX_LENGTH + 1); CHECK(frame_decode(buf, 4, &f) == -1);
    put_u32(buf, 0xffffffffu); CHECK(frame_decode(buf, 4, &f) == -1);
    /* the largest stdin payload (64 KiB) is accepted; one byte more is not */
    static uint8_t data[FRAME_MAX_PAYLOAD + 1];
    memset(data, 'x', sizeof data);
    size_t n = make(buf, T_STDIN, 1, data, FRAME_MAX_PAYLOAD);
    CHECK(n == FRAME_MAX_TOTAL);
    CHECK(frame_decode(buf, n, &f) == (long)n && f.len == FRAME_MAX_PAYLOAD);
    CHECK(frame_decode(buf, n - 1, &f) == 0);
    put_u32(buf, FRAME_MAX_LENGTH + 1);
    CHECK(frame_decode(buf, n + 1, &f) == -1);
}

static void test_unknown_and_agent_types_rejected(void) {
    struct frame f;
    int known[256] = {0};
    known[T_RUN] = known[T_STDIN] = known[T_STDIN_END] = known[T_SIGNAL] = known[T_KILL_ALL] = known[T_STATS] = 1;
    known[T_PUT] = known[T_PUT_END] = known[T_GET] = known[T_OUTPUTS] = 1;
    for (int t = 0; t < 256; t++) {
        if (known[t]) continue;
        size_t n = make(buf, (uint8_t)t, 1, "a", 1);
        CHECK(frame_decode(buf, n, &f) == -1);
        CHECK(frame_decode(buf, 5, &f) == -1);           /* known as soon as the type byte is there */
    }
}

static void test_payload_shapes(void) {
    struct frame f;
    size_t n = make(buf, T_STDIN, 1, NULL, 0);            /* empty stdin */
    CHECK(frame_decode(buf, n, &f) == -1);
    n = make(buf, T_SIGNAL, 1, NULL, 0);
    CHECK(frame_decode(buf, n, &f) == -1);
    n = make(buf, T_SIGNAL, 1, "\x0f\x0f", 2);
    CHECK(frame_decode(buf, n, &f) == -1);
    n = make(buf, T_STDIN_END, 1, "x", 1);
    CHECK(frame_decode(buf, n, &f) == -1);
    n = make(buf, T_KILL_ALL, 1, "x", 1);
    CHECK(frame_decode(buf, n, &f) == -1);
    n = make(buf, T_STATS, 1, "x", 1);
    CHECK(frame_decode(buf, n, &f) == -1);
    n = make(buf, T_RUN, 1, "0123456789abcdef", 16);       /* shorter than the smallest run */
    CHECK(frame_decode(buf, n, &f) == -1);
    n = make(buf, T_PUT, 1, NULL, 0);                      /* empty put */
    CHECK(frame_decode(buf, n, &f) == -1);
    n = make(buf, T_PUT_END, 1, "x", 1);
    CHECK(frame_decode(buf, n, &f) == -1);
    n = make(buf, T_GET, 1, "01234567abc", 11);             /* shorter than u64 + an empty string */
    CHECK(frame_decode(buf, n, &f) == -1);
    n = make(buf, T_OUTPUTS, 1, "01234567abc", 11);
    CHECK(frame_decode(buf, n, &f) == -1);
}

static struct files_req freq;

static void test_files_decode(void) {
    uint8_t p[64];
    memcpy(p, "\0\0\0\0\0\0\x10\0", 8);
    put_u32(p + 8, 4); memcpy(p + 12, "/a/b", 4);
    CHECK(files_decode(p, 16, 0, &freq, arena) == 0);
    CHECK(freq.error == NULL && freq.count == 1 && freq.max_bytes == 4096 && strcmp(freq.paths[0], "/a/b") == 0);
    CHECK(freq.paths[1] == NULL);
    CHECK(files_decode(p, 17, 0, &freq, arena) == -1);      /* trailing byte */
    CHECK(files_decode(p, 15, 0, &freq, arena) == -1);      /* truncated string */
    memcpy(p + 12, "a/bc", 4);
    CHECK(files_decode(p, 16, 0, &freq, arena) == 0 && freq.error != NULL);   /* relative */
    put_u32(p + 8, 2);
    put_u32(p + 12, 2); memcpy(p + 16, "/x", 2);
    put_u32(p + 18, 0);
    CHECK(files_decode(p, 22, 1, &freq, arena) == 0);
    CHECK(freq.count == 2 && strcmp(freq.paths[0], "/x") == 0 && freq.error != NULL);   /* "" is not absolute */
    put_u32(p + 8, 0);
    CHECK(files_decode(p, 12, 1, &freq, arena) == 0 && freq.count == 0 && freq.paths[0] == NULL);
    put_u32(p + 8, 1000);                                   /* more strings than bytes */
    CHECK(files_decode(p, 22, 1, &freq, arena) == -1);
}

static void test_run_remove_after_is_optional(void) {
    run_start(0, 0, "/s");
    p_u32(1); p_str("true", 4);
    p_u32(0);
    size_t base = plen;
    CHECK(run_decode(pay, plen, &req, arena) == 0 && req.remove_after == NULL);
    p_str("/s/x", 4);
    CHECK(run_decode(pay, plen, &req, arena) == 0 && strcmp(req.remove_after, "/s/x") == 0);
    plen = base;
    p_str("", 0);
    CHECK(run_decode(pay, plen, &req, arena) == 0 && req.remove_after == NULL);
    CHECK(req.cols == 80 && req.rows == 24);                  /* no terminal size: 80x24 */
    size_t named = plen;
    pay[plen++] = 0; pay[plen++] = 132; pay[plen++] = 0; pay[plen++] = 50;   /* then a terminal size */
    CHECK(run_decode(pay, plen, &req, arena) == 0 && req.error == NULL && req.cols == 132 && req.rows == 50);
    pay[plen++] = 0;
    CHECK(run_decode(pay, plen, &req, arena) == -1);          /* anything after that */
    plen = named;
    pay[plen++] = 0; pay[plen++] = 0;
    CHECK(run_decode(pay, plen, &req, arena) == -1);          /* half a size */
    plen = named;
    p_u32(0);
    CHECK(run_decode(pay, plen, &req, arena) == 0 && req.error && strstr(req.error, "terminal size"));
}

static void test_resize_frames_have_four_bytes(void) {
    struct frame f;
    uint8_t four[4] = {0, 80, 0, 24};
    size_t n = make(buf, T_RESIZE, 7, four, 4);
    CHECK(frame_decode(buf, n, &f) == (long)n && f.type == T_RESIZE && f.len == 4);
    n = make(buf, T_RESIZE, 7, four, 3);
    CHECK(frame_decode(buf, n, &f) == -1);
}

static void test_run_decodes(void) {
    run_start(1500, 1, "/sandbox");
    p_u32(2); p_str("echo", 4); p_str("hi", 2);
    p_u32(1); p_str("PATH=/bin", 9);
    struct frame f;
    size_t n = make(buf, T_RUN, 42, pay, plen);
    CHECK(frame_decode(buf, n, &f) == (long)n);
    CHECK(run_decode(f.payload, f.len, &req, arena) == 0);
    CHECK(req.error == NULL);
    CHECK(req.deadline_ms == 1500 && req.stdin_mode == 1);
    CHECK(strcmp(req.cwd, "/sandbox") == 0);
    CHECK(req.argc == 2 && strcmp(req.argv[0], "echo") == 0 && strcmp(req.argv[1], "hi") == 0 && !req.argv[2]);
    CHECK(req.envc == 1 && strcmp(req.envp[0], "PATH=/bin") == 0 && !req.envp[1]);
}

static void test_run_limits(void) {
    /* 256 argv entries pass, 257 are an error (not a dropped channel) */
    for (int count = 256; count <= 257; count++) {
        run_start(0, 0, "/");
        p_u32(count);
        for (int i = 0; i < count; i++) p_str("a", 1);
        p_u32(0);
        CHECK(run_decode(pay, plen, &req, arena) == 0);
        CHECK(count == 256 ? req.error == NULL && req.argc == 256 && !req.argv[256] : req.error != NULL);
    }
    for (int count = 1024; count <= 1025; count++) {
        run_start(0, 0, "/");
        p_u32(1); p_str("a", 1);
        p_u32(count);
        for (int i = 0; i < count; i++) p_str("K=v", 3);
        CHECK(run_decode(pay, plen, &req, arena) == 0);
        CHECK(count == 1024 ? req.error == NULL && req.envc == 1024 && !req.envp[1024] : req.error != NULL);
    }
    /* the largest run that fits in a frame decodes within the arena */
    run_start(0, 0, "/");
    p_u32(1);
    size_t big = FRAME_MAX_PAYLOAD - plen - 4 - 4;
    static char s[FRAME_MAX_PAYLOAD];
    memset(s, 'z', big);
    p_str(s, big);
    p_u32(0);
    CHECK(plen == FRAME_MAX_PAYLOAD);
    CHECK(run_decode(pay, plen, &req, arena) == 0 && req.error == NULL && strlen(req.argv[0]) == big);
}

static void test_run_request_errors(void) {
    run_start(0, 0, "/");
    p_u32(0); p_u32(0);
    CHECK(run_decode(pay, plen, &req, arena) == 0 && req.error && strstr(req.error, "argv"));
    run_start(0, 3, "/");
    p_u32(1); p_str("a", 1); p_u32(0);
    CHECK(run_decode(pay, plen, &req, arena) == 0 && req.error && strstr(req.error, "stdinMode"));
    run_start(0, 2, "/");
    p_u32(1); p_str("a", 1); p_u32(0);
    CHECK(run_decode(pay, plen, &req, arena) == 0 && req.error == NULL && req.stdin_mode == 2);
    run_start(0, 0, "/");
    p_u32(1); p_str("a\0b", 3); p_u32(0);
    CHECK(run_decode(pay, plen, &req, arena) == 0 && req.error && strstr(req.error, "NUL"));
    plen = 0; p_u32(0); pay[plen++] = 0; p_str("/\0", 2); p_u32(1); p_str("a", 1); p_u32(0);
    CHECK(run_decode(pay, plen, &req, arena) == 0 && req.error && strstr(req.error, "NUL"));
}

static void test_malformed_runs_drop_the_channel(void) {
    run_start(0, 0, "/");
    p_u32(1); p_str("a", 1); p_u32(0);
    size_t good = plen;
    CHECK(run_decode(pay, good, &req, arena) == 0);
    for (size_t k = 0; k < good; k++) CHECK(run_decode(pay, (uint32_t)k, &req, arena) == -1);  /* truncated */
    pay[good] = 0;
    CHECK(run_decode(pay, good + 1, &req, arena) == -1);                                         /* trailing byte */
    run_start(0, 0, "/");
    p_u32(0xffffffffu);                                                 /* a count no payload can hold */
    p_u32(0);
    CHECK(run_decode(pay, plen, &req, arena) == -1);
    run_start(0, 0, "/");
    p_u32(1); p_u32(0x7fffffff); p_u32(0);                               /* string longer than the payload */
    CHECK(run_decode(pay, plen, &req, arena) == -1);
    plen = 0; p_u32(0); pay[plen++] = 0; p_u32(1000);                    /* cwd longer than the payload */
    CHECK(run_decode(pay, plen, &req, arena) == -1);
}

int main(void) {
    test_header_round_trip();
    test_decode_each_type();
    test_two_frames_in_one_buffer();
    test_truncated_input_needs_more();
    test_length_limits();
    test_unknown_and_agent_types_rejected();
    test_payload_shapes();
    test_run_decodes();
    test_run_limits();
    test_run_request_errors();
    test_malformed_runs_drop_the_channel();
    test_files_decode();
    test_run_remove_after_is_optional();
    test_resize_frames_have_four_bytes();
    printf("frame_test: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
