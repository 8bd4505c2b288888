/*
 * isol8-agent - PID 1 of every isol8 container (docs/agent-protocol.md, sandbox.md §15).
 *
 * Reads frames from stdin, writes frames to stdout, diagnostics to stderr. One poll loop, no threads,
 * no heap: every buffer below is static and of fixed size, so memory does not grow with program output.
 *   - a run is fork + setsid + chdir + execve with its own pipes on fds 0-2;
 *   - output is read straight into the outgoing frame buffer; while more than 256 KiB of frames wait
 *     for the channel, the pipes are not read (the program blocks instead of memory growing);
 *   - stdin data waits in a 256 KiB ring per run (the server's credit) and is acknowledged once written;
 *   - SIGCHLD arrives through a signalfd; every child and orphan is reaped with wait4(-1, WNOHANG);
 *   - deadline and kill-all SIGKILL every process but the agent (kill(-1) only when we are PID 1),
 *     repeated until no child is left.
 * The channel ending (EOF or a write error) or a malformed frame ends the agent: as PID 1 its exit
 * makes the kernel kill everything else in the container.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

#ifndef AGENT_VERSION
#define AGENT_VERSION "1.2.0"   /* 1.2.0: terminals (stdinMode 2, resize) */
#endif
#define PROTOCOL_VERSION 2      /* 2: put, get, outputs, removeAfter, terminals */
#define MAX_RUNS 4
#define STDIN_CAP (256 * 1024)        /* the server's stdin credit per run */
#define OUT_DATA_LIMIT (256 * 1024)   /* output frames held before the pipes stop being read */
#define OUT_CAP (OUT_DATA_LIMIT + 64 * 1024)
#define RESERVE 1024                  /* room kept for the control frame a request may cause */
#define IN_CAP (2 * FRAME_MAX_TOTAL)
#define GRACE_US 100000               /* how long descendants may hold the pipes after the run exits */
#define SWEEP_RETRY_US 2000
#define MAX_KILL_ALL 16

struct run {
    int used;
    uint32_t id;
    pid_t pid;
    int reaped, status;
    struct rusage ru;
    int fd_in, fd_out, fd_err;        /* -1 when closed */
    int stdin_mode, stdin_end;
    int pty;                          /* fd_in and fd_out are the terminal's master side */
    size_t s_head, s_len;             /* ring in stdin_ring[slot] */
    uint32_t ack_pending;
    int64_t start_us, deadline_us, grace_end_us;
    int timed_out;
    uint64_t oom_before;
    char remove_after[4096];          /* unlinked once the process is reaped; empty for none */
};

static struct run runs[MAX_RUNS];
static uint8_t stdin_ring[MAX_RUNS][STDIN_CAP];
static uint8_t inbuf[IN_CAP];
static size_t in_start, in_end;
static uint8_t outbuf[OUT_CAP];
static size_t out_start, out_end;
static char arena[FRAME_MAX_PAYLOAD];
static struct run_req req;
static struct files_req freq;
static int is_pid1, sweeping, chan_eof;
static uint32_t kill_all_ids[MAX_KILL_ALL];
static int kill_all_count;
static int cgroup_version;

static void diag(const char *fmt, ...) {
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof b - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (n > (int)sizeof b - 2) n = sizeof b - 2;
    b[n++] = '\n';
    for (int off = 0; off < n;) {
        ssize_t w = write(2, b + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        off += w;
    }
}

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- everything but the agent ---------------------------------------------------------------- */

/* SIGKILLs every process but the agent. As PID 1 that is kill(-1); elsewhere (development runs
 * outside a container) only the agent's own children, which as a subreaper include every orphan. */
static void kill_everything(void) {
    if (is_pid1) {
        kill(-1, SIGKILL);
        return;
    }
    for (int i = 0; i < MAX_RUNS; i++)
        if (runs[i].used) kill(-runs[i].pid, SIGKILL);
    char path[64], b[4096];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = read(fd, b, sizeof b - 1);
    close(fd);
    if (n <= 0) return;
    b[n] = 0;
    for (char *p = b, *e; *p; p = e) {
        long pid = strtol(p, &e, 10);
        if (e == p) break;
        if (pid > 1) kill((pid_t)pid, SIGKILL);
    }
}

/* ---- outgoing frames ------------------------------------------------------------------------- */

static size_t out_pending(void) { return out_end - out_start; }

/* n contiguous free bytes at the end of the output buffer, or NULL when they do not fit. */
static uint8_t *out_room(size_t n) {
    if (OUT_CAP - out_pending() < n) return NULL;
    if (OUT_CAP - out_end < n) {
        memmove(outbuf, outbuf + out_start, out_pending());
        out_end -= out_start;
        out_start = 0;
    }
    return outbuf + out_end;
}

static int emit(uint8_t type, uint32_t id, const void *payload, size_t len) {
    uint8_t *p = out_room(FRAME_HEADER + len);
    if (!p) return -1;
    frame_header(p, type, id, (uint32_t)len);
    if (len) memcpy(p + FRAME_HEADER, payload, len);
    out_end += FRAME_HEADER + len;
    return 0;
}

static void emit_error(uint32_t id, const char *fmt, ...) {
    uint8_t b[4 + 256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf((char *)b + 4, sizeof b - 4, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if (n > (int)sizeof b - 5) n = sizeof b - 5;
    put_u32(b, (uint32_t)n);
    emit(T_ERROR, id, b, 4 + (size_t)n);
}

/* ---- cgroup and network counters ------------------------------------------------------------- */

static ssize_t read_file(const char *path, char *b, size_t cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t n = 0;
    while (n < cap - 1) {
        ssize_t r = read(fd, b + n, cap - 1 - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += r;
    }
    close(fd);
    b[n] = 0;
    return (ssize_t)n;
}

static uint64_t read_u64(const char *path) {
    char b[64];
    if (read_file(path, b, sizeof b) <= 0) return 0;
    return strtoull(b, NULL, 10);
}

/* The value after "key " on a line of a flat-keyed file (memory.oom_control, memory.events, cpu.stat). */
static uint64_t read_key(const char *path, const char *key) {
    char b[2048];
    if (read_file(path, b, sizeof b) <= 0) return 0;
    size_t k = strlen(key);
    for (char *line = b; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, key, k) == 0 && line[k] == ' ') return strtoull(line + k + 1, NULL, 10);
    return 0;
}

static int detect_cgroup(void) {
    struct stat st;
    if (stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0) return 2;
    if (stat("/sys/fs/cgroup/memory", &st) == 0) return 1;
    return 0;
}

static uint64_t oom_kills(void) {
    if (cgroup_version == 1) return read_key("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill");
    if (cgroup_version == 2) return read_key("/sys/fs/cgroup/memory.events", "oom_kill");
    return 0;
}

static void net_bytes(uint64_t *rx, uint64_t *tx) {
    static char b[16384];
    *rx = *tx = 0;
    if (read_file("/proc/net/dev", b, sizeof b) <= 0) return;
    for (char *line = b; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char *colon = strchr(line, ':'), *nl = strchr(line, '\n');
        if (!colon || (nl && colon > nl)) continue;
        char *name = line;
        while (*name == ' ') name++;
        if (colon - name == 2 && strncmp(name, "lo", 2) == 0) continue;
        char *p = colon + 1;
        uint64_t v[9];
        for (int i = 0; i < 9; i++) v[i] = strtoull(p, &p, 10);
        *rx += v[0];
        *tx += v[8];
    }
}

static void emit_stats(uint32_t id) {
    uint64_t mem = 0, peak = 0, cpu = 0, rx, tx;
    if (cgroup_version == 1) {
        mem = read_u64("/sys/fs/cgroup/memory/memory.usage_in_bytes");
        peak = read_u64("/sys/fs/cgroup/memory/memory.max_usage_in_bytes");
        cpu = read_u64("/sys/fs/cgroup/cpuacct/cpuacct.usage");
        if (!cpu) cpu = read_u64("/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage");
    } else if (cgroup_version == 2) {
        mem = read_u64("/sys/fs/cgroup/memory.current");
        peak = read_u64("/sys/fs/cgroup/memory.peak");
        cpu = read_key("/sys/fs/cgroup/cpu.stat", "usage_usec") * 1000;
    }
    net_bytes(&rx, &tx);
    uint8_t b[48], *p = b;
    p = put_u64(p, mem);
    p = put_u64(p, peak);
    p = put_u64(p, oom_kills());
    p = put_u64(p, cpu);
    p = put_u64(p, rx);
    p = put_u64(p, tx);
    emit(T_STATS_REPLY, id, b, sizeof b);
}

/* ---- starting a run ---------------------------------------------------------------------------- */

static void child_fail(const char *what, const char *arg, int err) {
    diag("isol8-agent: %s %s: %s", what, arg, strerror(err));
    _exit(err == EACCES || err == ENOEXEC || err == EPERM || err == EISDIR ? 126 : 127);
}

/* execve with argv[0] looked up in the PATH of envp when it holds no '/'. */
static void child_exec(char **argv, char **envp) {
    const char *file = argv[0];
    if (strchr(file, '/')) {
        execve(file, argv, envp);
        child_fail("execve", file, errno);
    }
    const char *path = "/usr/local/bin:/usr/bin:/bin";
    for (char **e = envp; *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
    int err = ENOENT;
    char full[4096];
    for (const char *p = path;; p++) {
        const char *colon = strchrnul(p, ':');
        size_t dl = colon - p;
        int n = dl ? snprintf(full, sizeof full, "%.*s/%s", (int)dl, p, file)
                   : snprintf(full, sizeof full, "%s", file);
        if (n > 0 && (size_t)n < sizeof full) {
            execve(full, argv, envp);
            if (errno != ENOENT && errno != ENOTDIR) err = errno;
        }
        p = colon;
        if (!*p) break;
    }
    child_fail("execve", file, err);
}

/* mkdir -p: creates the missing folders of path (mode 0755 before the umask); existing ones are left as
 * they are. With last == 0 the final component is not created (it is a file's name). */
static int mkdirs(const char *path, int last) {
    char b[4096];
    size_t n = strlen(path);
    if (n >= sizeof b) { errno = ENAMETOOLONG; return -1; }
    memcpy(b, path, n + 1);
    for (char *p = b + 1;; p++) {
        if (*p && *p != '/') continue;
        if (!*p && !last) return 0;
        char c = *p;
        *p = 0;
        if (mkdir(b, 0755) != 0 && errno != EEXIST) return -1;
        if (!c) return 0;
        *p = c;
    }
}

static void child(struct run_req *q, int in, int out, int err) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) sigaction(s, &dfl, NULL);
    setsid();
    if (q->stdin_mode == 2 && ioctl(in, TIOCSCTTY, 0) != 0) _exit(127);   /* the terminal becomes ours */
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(127);
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
        for (int fd = 3; fd < 1024; fd++) close(fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if ((mkdirs(q->cwd, 1) != 0 && errno != EEXIST) || chdir(q->cwd) != 0) child_fail("chdir", q->cwd, errno);
    child_exec(q->argv, q->envp);
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static void start_run(uint32_t id, struct run_req *q) {
    int slot = -1;
    for (int i = 0; i < MAX_RUNS; i++) {
        if (!runs[i].used) { if (slot < 0) slot = i; continue; }
        if (runs[i].id == id) { emit_error(id, "request id %u is in use", id); return; }
    }
    if (id == 0) { emit_error(0, "request id 0 is the channel"); return; }
    if (slot < 0) { emit_error(id, "more than %d live runs", MAX_RUNS); return; }
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    if (q->stdin_mode == 2) {
        /* a terminal: the program's fds 0-2 are its slave side, we keep the master (twice: in, out) */
        in[1] = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (in[1] < 0 || grantpt(in[1]) || unlockpt(in[1])) goto fail;
        char *name = ptsname(in[1]);
        if (!name || (in[0] = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) goto fail;
        struct winsize ws = {.ws_row = q->rows, .ws_col = q->cols};
        if (ioctl(in[1], TIOCSWINSZ, &ws) != 0) goto fail;
        if ((out[0] = fcntl(in[1], F_DUPFD_CLOEXEC, 3)) < 0) goto fail;
        if ((out[1] = fcntl(in[0], F_DUPFD_CLOEXEC, 3)) < 0) goto fail;
        if ((err[1] = fcntl(in[0], F_DUPFD_CLOEXEC, 3)) < 0) goto fail;
    } else {
        if (q->stdin_mode == 1 ? pipe2(in, O_CLOEXEC) : (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
            goto fail;
        if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) goto fail;
    }
    struct run *r = &runs[slot];
    memset(r, 0, sizeof *r);
    r->oom_before = oom_kills();
    r->start_us = now_us();
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid == 0) child(q, in[0], out[1], err[1]);
    int fork_errno = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) { errno = fork_errno; goto fail; }
    close(in[0]); close(out[1]); close(err[1]);
    r->used = 1;
    r->id = id;
    r->pid = pid;
    r->fd_in = in[1];
    r->fd_out = out[0];
    r->fd_err = err[0];
    r->stdin_mode = q->stdin_mode;
    r->pty = q->stdin_mode == 2;
    if (q->remove_after) snprintf(r->remove_after, sizeof r->remove_after, "%s", q->remove_after);
    if (r->fd_in >= 0) set_nonblock(r->fd_in);
    set_nonblock(r->fd_out);
    if (r->fd_err >= 0) set_nonblock(r->fd_err);
    r->deadline_us = q->deadline_ms ? r->start_us + (int64_t)q->deadline_ms * 1000 : 0;
    uint8_t b[4];
    put_u32(b, (uint32_t)pid);
    emit(T_STARTED, id, b, 4);
    return;
fail:;
    int e = errno;
    for (int i = 0; i < 2; i++) { close_fd(&in[i]); close_fd(&out[i]); close_fd(&err[i]); }
    emit_error(id, "cannot start the program: %s", strerror(e));
}

static struct run *find_run(uint32_t id) {
    for (int i = 0; i < MAX_RUNS; i++)
        if (runs[i].used && runs[i].id == id) return &runs[i];
    return NULL;
}

/* Drops what waits for the run's stdin (acknowledged as dropped) and closes the pipe. */
static void close_stdin(struct run *r) {
    r->ack_pending += r->s_len;
    r->s_len = 0;
    close_fd(&r->fd_in);
    r->stdin_mode = 0;
}

/* ---- put: a tar stream written into the container (sandbox.md §3.2) ------------------------------ */

/* One put at a time. Its tar stream arrives in put frames and is written as it comes, synchronously:
 * regular files (ustar, with PAX "path" and "size" records) and folders; parent folders are created,
 * an existing file is replaced (unlinked first, as tar does). The first failure is kept and the rest of
 * the stream is discarded; put-end answers done or error with that failure. */
enum { P_HEADER, P_PAX, P_DATA, P_SKIP, P_END };
static struct {
    int active, state, fd;
    uint32_t id;
    uint8_t block[512];
    size_t fill;                      /* bytes of block (P_HEADER) or of pax (P_PAX) */
    uint64_t left, pad;               /* bytes of the entry's data still to come, then of padding */
    char pax[16384];
    char pax_path[4096], path[4096];
    int64_t pax_size;                 /* -1 when the PAX header had no size */
    char error[300];
} put = {.fd = -1};

static void put_fail(const char *fmt, ...) {
    if (put.error[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(put.error, sizeof put.error, fmt, ap);
    va_end(ap);
    if (put.fd >= 0) {
        close(put.fd);
        put.fd = -1;
        unlink(put.path);             /* a partial file only takes space */
    }
}

static uint64_t tar_number(const uint8_t *f, size_t n) {
    uint64_t v = 0;
    if (f[0] & 0x80) {                /* base-256 */
        for (size_t i = 1; i < n; i++) v = v << 8 | f[i];
        return v;
    }
    for (size_t i = 0; i < n && f[i]; i++)
        if (f[i] >= '0' && f[i] <= '7') v = v << 3 | (uint64_t)(f[i] - '0');
    return v;
}

static int tar_checksum_ok(const uint8_t *b) {
    uint64_t sum = 0;
    for (int i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? ' ' : b[i];
    return sum == tar_number(b + 148, 8);
}

/* Reads "len key=value\n" records; keeps path and size. */
static void pax_parse(size_t n) {
    for (size_t off = 0; off < n;) {
        char *end;
        unsigned long len = strtoul(put.pax + off, &end, 10);
        if (len == 0 || off + len > n || *end != ' ' || put.pax[off + len - 1] != '\n') {
            put_fail("bad PAX header");
            return;
        }
        char *kv = end + 1, *eq = memchr(kv, '=', put.pax + off + len - 1 - kv);
        if (eq) {
            size_t vlen = put.pax + off + len - 1 - (eq + 1);
            if ((size_t)(eq - kv) == 4 && memcmp(kv, "path", 4) == 0) {
                if (vlen >= sizeof put.pax_path) { put_fail("a path is too long"); return; }
                memcpy(put.pax_path, eq + 1, vlen);
                put.pax_path[vlen] = 0;
            } else if ((size_t)(eq - kv) == 4 && memcmp(kv, "size", 4) == 0) {
                put.pax_size = (int64_t)strtoull(eq + 1, NULL, 10);
            }
        }
        off += len;
    }
}

static int unsafe_path(const char *p) {
    for (const char *s = p; (s = strstr(s, "..")); s += 2)
        if ((s == p || s[-1] == '/') && (s[2] == 0 || s[2] == '/')) return 1;
    return 0;
}

static void put_header(void) {
    const uint8_t *b = put.block;
    int zero = 1;
    for (int i = 0; i < 512 && zero; i++) zero = !b[i];
    if (zero) { put.state = P_END; return; }
    if (!tar_checksum_ok(b)) { put_fail("bad tar header"); return; }
    uint64_t size = tar_number(b + 124, 12);
    uint8_t type = b[156];
    if (type == 'x' || type == 'g') {
        if (size >= sizeof put.pax) { put_fail("PAX header too large"); return; }
        put.left = size;
        put.pad = (512 - size % 512) % 512;
        put.fill = 0;
        put.state = type == 'x' ? P_PAX : P_SKIP;
        return;
    }
    char name[4096];
    if (put.pax_path[0]) {
        snprintf(name, sizeof name, "%s", put.pax_path);
    } else if (memcmp(b + 257, "ustar", 5) == 0 && b[345]) {
        snprintf(name, sizeof name, "%.155s/%.100s", (const char *)b + 345, (const char *)b);
    } else {
        snprintf(name, sizeof name, "%.100s", (const char *)b);
    }
    if (put.pax_size >= 0) size = (uint64_t)put.pax_size;
    put.pax_path[0] = 0;
    put.pax_size = -1;
    const char *rel = name;
    while (*rel == '/') rel++;
    size_t len = strlen(rel);
    while (len && rel[len - 1] == '/') len--;
    if (!len || unsafe_path(rel) || len + 2 > sizeof put.path) { put_fail("unsafe path in archive: %s", name); return; }
    snprintf(put.path, sizeof put.path, "/%.*s", (int)len, rel);
    put.left = size;
    put.pad = (512 - size % 512) % 512;
    put.state = P_SKIP;
    if (type == '5') {
        if (mkdirs(put.path, 1) != 0 && errno != EEXIST) put_fail("%s: %s", put.path, strerror(errno));
        return;
    }
    if (type != '0' && type != 0) { put_fail("%s: unsupported entry type", put.path); return; }
    if (mkdirs(put.path, 0) != 0) { put_fail("%s: %s", put.path, strerror(errno)); return; }
    if (unlink(put.path) != 0 && errno != ENOENT) { put_fail("%s: %s", put.path, strerror(errno)); return; }
    put.fd = open(put.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (put.fd < 0) { put_fail("%s: %s", put.path, strerror(errno)); return; }
    put.state = P_DATA;
}

static void put_bytes(const uint8_t *p, size_t n) {
    while (n && !put.error[0]) {
        size_t k;
        switch (put.state) {
        case P_HEADER:
            k = 512 - put.fill < n ? 512 - put.fill : n;
            memcpy(put.block + put.fill, p, k);
            put.fill += k;
            if (put.fill == 512) { put.fill = 0; put_header(); }
            break;
        case P_PAX:
            k = put.left < n ? put.left : n;
            memcpy(put.pax + put.fill, p, k);
            put.fill += k;
            put.left -= k;
            if (!put.left) { pax_parse(put.fill); put.fill = 0; put.state = P_SKIP; }
            break;
        case P_DATA:
            k = put.left < n ? put.left : n;
            if (k) {
                ssize_t w = write(put.fd, p, k);
                if (w < 0 && errno == EINTR) continue;
                if (w <= 0) { put_fail("%s: %s", put.path, w < 0 ? strerror(errno) : "short write"); return; }
                k = (size_t)w;
                put.left -= k;
            }
            break;
        case P_SKIP:                  /* the rest of an entry we do not write, then its padding */
            if (put.left) { k = put.left < n ? put.left : n; put.left -= k; }
            else { k = put.pad < n ? put.pad : n; put.pad -= k; }
            break;
        default:                      /* end blocks and record padding */
            k = n;
        }
        p += k;
        n -= k;
        if (put.state == P_DATA && !put.left) { close(put.fd); put.fd = -1; put.state = P_SKIP; }
        if (put.state == P_SKIP && !put.left && !put.pad) put.state = P_HEADER;
    }
}

/* put-end: answers done, or error with the first failure (or a stream that stopped inside an entry). */
static void put_end(uint32_t id) {
    if (!put.active || put.id != id) { emit_error(id, "no put in progress for this id"); return; }
    if (!put.error[0] && put.state != P_END && !(put.state == P_HEADER && put.fill == 0))
        put_fail("truncated archive");
    if (put.fd >= 0) close(put.fd);
    if (put.error[0]) emit_error(id, "%s", put.error);
    else emit(T_DONE, id, NULL, 0);
    put.active = 0;
    put.fd = -1;
}

/* A put frame; -1 (drop the channel) when another put is in progress. */
static int put_data(uint32_t id, const uint8_t *p, size_t n) {
    if (put.active && put.id != id) { diag("isol8-agent: put frame for id %u during put %u", id, put.id); return -1; }
    if (!put.active) {
        put.active = 1;
        put.id = id;
        put.state = P_HEADER;
        put.fill = 0;
        put.fd = -1;
        put.pax_path[0] = 0;
        put.pax_size = -1;
        put.error[0] = 0;
    }
    put_bytes(p, n);
    return 0;
}

/* ---- get and outputs: files out of the container --------------------------------------------------- */

/* One transfer at a time, sent as data frames while the output buffer has room (like a run's pipes):
 * get sends one file's bytes; outputs sends, for each readable regular file while the running total stays
 * within the maximum, a record "string path, u64 size" then exactly size bytes (a file that shrank while
 * read is padded with zeros, one that grew is cut). Then done. */
static struct {
    int active, many, fd;
    uint32_t id, next, count;
    uint64_t max, total, left;
    char arena[FRAME_MAX_PAYLOAD];
    char *paths[OUTPUTS_MAX_PATHS + 1];
} xfer = {.fd = -1};

static void start_transfer(uint32_t id, int many) {
    if (freq.error) { emit_error(id, "%s", freq.error); return; }
    if (xfer.active) { emit_error(id, "another transfer is in progress"); return; }
    if (!many) {
        int fd = open(freq.paths[0], O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat st;
        if (fd < 0) { emit_error(id, errno == ENOENT || errno == ENOTDIR || errno == EACCES ? "not found" : "cannot open: %s", strerror(errno)); return; }
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) { close(fd); emit_error(id, "not a regular file"); return; }
        if ((uint64_t)st.st_size > freq.max_bytes) { close(fd); emit_error(id, "too large"); return; }
        xfer.fd = fd;
        xfer.left = (uint64_t)st.st_size;
    }
    xfer.active = 1;
    xfer.many = many;
    xfer.id = id;
    xfer.max = freq.max_bytes;
    xfer.total = 0;
    xfer.next = 0;
    xfer.count = 0;
    if (many) {                       /* the request's strings live in an arena reused by the next frame */
        char *a = xfer.arena;
        for (uint32_t i = 0; i < freq.count; i++) {
            size_t n = strlen(freq.paths[i]) + 1;
            memcpy(a, freq.paths[i], n);
            xfer.paths[xfer.count++] = a;
            a += n;
        }
    }
}

static int pipes_readable(void);

/* Sends what the output buffer takes of the transfer. */
static void pump_transfer(void) {
    while (xfer.active && pipes_readable()) {
        if (xfer.fd < 0 && !xfer.many) { emit(T_DONE, xfer.id, NULL, 0); xfer.active = 0; return; }
        if (xfer.fd < 0) {
            if (xfer.next == xfer.count) { emit(T_DONE, xfer.id, NULL, 0); xfer.active = 0; return; }
            const char *path = xfer.paths[xfer.next++];
            int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
            struct stat st;
            if (fd < 0) continue;
            if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > xfer.max - xfer.total) {
                close(fd);
                continue;
            }
            size_t n = strlen(path);
            if (n > 4096) { close(fd); continue; }
            uint8_t b[4 + 4096 + 8], *q = put_u32(b, (uint32_t)n);
            memcpy(q, path, n);
            put_u64(q + n, (uint64_t)st.st_size);
            emit(T_DATA, xfer.id, b, 4 + n + 8);
            xfer.fd = fd;
            xfer.left = (uint64_t)st.st_size;
            xfer.total += xfer.left;
            continue;
        }
        if (!xfer.left) { close_fd(&xfer.fd); continue; }
        uint8_t *p = out_room(FRAME_MAX_TOTAL);
        size_t want = xfer.left < FRAME_MAX_PAYLOAD ? xfer.left : FRAME_MAX_PAYLOAD;
        ssize_t n;
        do n = read(xfer.fd, p + FRAME_HEADER, want); while (n < 0 && errno == EINTR);
        if (n <= 0) {                 /* the file shrank or cannot be read */
            if (!xfer.many) { close_fd(&xfer.fd); continue; }
            memset(p + FRAME_HEADER, 0, want);
            n = (ssize_t)want;
        }
        frame_header(p, T_DATA, xfer.id, (uint32_t)n);
        out_end += FRAME_HEADER + n;
        xfer.left -= (uint64_t)n;
    }
}

/* ---- incoming frames --------------------------------------------------------------------------- */

/* Acts on one frame; returns -1 when the channel must be dropped. */
static int handle(const struct frame *f) {
    struct run *r = f->type == T_STDIN || f->type == T_STDIN_END || f->type == T_SIGNAL || f->type == T_RESIZE
                    ? find_run(f->id) : NULL;
    switch (f->type) {
    case T_RUN:
        if (run_decode(f->payload, f->len, &req, arena)) return -1;
        if (req.error) emit_error(f->id, "%s", req.error);
        else start_run(f->id, &req);
        return 0;
    case T_STDIN:
        if (!r) return 0;                                   /* the run just ended: its exit is on the way */
        if (!r->stdin_mode || r->stdin_end) { r->ack_pending += f->len; return 0; }
        if (STDIN_CAP - r->s_len < f->len) { diag("isol8-agent: stdin credit exceeded"); return -1; }
        uint8_t *ring = stdin_ring[r - runs];
        size_t tail = (r->s_head + r->s_len) % STDIN_CAP, first = STDIN_CAP - tail;
        if (first > f->len) first = f->len;
        memcpy(ring + tail, f->payload, first);
        memcpy(ring, f->payload + first, f->len - first);
        r->s_len += f->len;
        return 0;
    case T_STDIN_END:
        if (r) r->stdin_end = 1;
        return 0;
    case T_SIGNAL: {
        int s = f->payload[0];
        if (s != SIGINT && s != SIGTERM && s != SIGKILL && s != SIGHUP && s != SIGQUIT) {
            emit_error(f->id, "signal %d is not allowed", s);
            return 0;
        }
        if (r && kill(-r->pid, s) != 0 && errno == ESRCH && !r->reaped) kill(r->pid, s);
        return 0;
    }
    case T_RESIZE:                                          /* ignored for runs without a terminal */
        if (r && r->pty && r->fd_out >= 0) {
            uint16_t cols = (uint16_t)(f->payload[0] << 8 | f->payload[1]);
            uint16_t rows = (uint16_t)(f->payload[2] << 8 | f->payload[3]);
            if (cols == 0 || rows == 0 || cols > 1000 || rows > 1000) {
                emit_error(f->id, "terminal size out of range");
                return 0;
            }
            struct winsize ws = {.ws_row = rows, .ws_col = cols};
            ioctl(r->fd_out, TIOCSWINSZ, &ws);               /* the kernel sends SIGWINCH to its group */
        }
        return 0;
    case T_KILL_ALL:
        if (kill_all_count == MAX_KILL_ALL) { emit_error(f->id, "too many kill-all requests"); return 0; }
        kill_all_ids[kill_all_count++] = f->id;
        sweeping = 1;
        kill_everything();
        return 0;
    case T_STATS:
        emit_stats(f->id);
        return 0;
    case T_PUT:
        return put_data(f->id, f->payload, f->len);
    case T_PUT_END:
        put_end(f->id);
        return 0;
    case T_GET:
    case T_OUTPUTS:
        if (files_decode(f->payload, f->len, f->type == T_OUTPUTS, &freq, arena)) return -1;
        start_transfer(f->id, f->type == T_OUTPUTS);
        return 0;
    }
    return -1;
}

/* Decodes and handles whole frames while there is room for their answers. Not while a sweep runs:
 * a program started now would be killed by it. */
static int process_input(void) {
    while (!sweeping && OUT_CAP - out_pending() >= RESERVE) {
        struct frame f;
        long n = frame_decode(inbuf + in_start, in_end - in_start, &f);
        if (n < 0) { diag("isol8-agent: malformed frame; dropping the channel"); return -1; }
        if (n == 0) break;
        if (handle(&f)) return -1;
        in_start += n;
    }
    if (in_start == in_end) in_start = in_end = 0;
    if (in_start && IN_CAP - in_end < FRAME_MAX_TOTAL) {     /* room for the rest of a whole frame */
        memmove(inbuf, inbuf + in_start, in_end - in_start);
        in_end -= in_start;
        in_start = 0;
    }
    return 0;
}

/* ---- children ---------------------------------------------------------------------------------- */

static void reap(void) {
    for (;;) {
        int st;
        struct rusage ru;
        pid_t pid = wait4(-1, &st, WNOHANG, &ru);
        if (pid < 0 && errno == EINTR) continue;
        if (pid < 0 && errno == ECHILD) { sweeping = 0; return; }
        if (pid <= 0) return;
        for (int i = 0; i < MAX_RUNS; i++) {
            struct run *r = &runs[i];
            if (r->used && !r->reaped && r->pid == pid) {
                r->reaped = 1;
                r->status = st;
                r->ru = ru;
                r->grace_end_us = now_us() + GRACE_US;
                close_stdin(r);
                if (r->remove_after[0]) unlink(r->remove_after);
            }
        }
    }
}

static int pipes_readable(void) { return out_pending() + FRAME_MAX_TOTAL <= OUT_DATA_LIMIT; }

/* Reads one chunk of a pipe into a stdout/stderr frame; closes the pipe at EOF. */
static void read_pipe(struct run *r, int *fd, uint8_t type) {
    uint8_t *p = pipes_readable() ? out_room(FRAME_MAX_TOTAL) : NULL;
    if (!p) return;
    ssize_t n;
    do n = read(*fd, p + FRAME_HEADER, FRAME_MAX_PAYLOAD); while (n < 0 && errno == EINTR);
    if (n > 0) {
        frame_header(p, type, r->id, (uint32_t)n);
        out_end += FRAME_HEADER + n;
    } else if (n == 0 || errno != EAGAIN) {
        close_fd(fd);
    }
}

static void write_stdin(struct run *r) {
    uint8_t *ring = stdin_ring[r - runs];
    while (r->s_len) {
        size_t chunk = STDIN_CAP - r->s_head;
        if (chunk > r->s_len) chunk = r->s_len;
        ssize_t n = write(r->fd_in, ring + r->s_head, chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) { close_stdin(r); return; }             /* EPIPE: the program closed its stdin */
        r->s_head = (r->s_head + n) % STDIN_CAP;
        r->s_len -= n;
        r->ack_pending += n;
    }
    r->s_head = 0;
}

/* Sends acks, and exit for every run whose process is reaped and whose pipes are closed. */
static void finish_runs(int64_t now) {
    for (int i = 0; i < MAX_RUNS; i++) {
        struct run *r = &runs[i];
        if (!r->used) continue;
        if (r->fd_in >= 0 && !r->s_len && r->stdin_end) close_fd(&r->fd_in);
        if (r->ack_pending) {
            uint8_t b[4];
            put_u32(b, r->ack_pending);
            if (emit(T_ACK, r->id, b, 4) == 0) r->ack_pending = 0;
        }
        if (!r->reaped) continue;
        if (!pipes_readable() && now + GRACE_US > r->grace_end_us) r->grace_end_us = now + GRACE_US;
        if ((r->fd_out >= 0 || r->fd_err >= 0) && now >= r->grace_end_us) {
            close_fd(&r->fd_out);
            close_fd(&r->fd_err);
        }
        if (r->fd_out >= 0 || r->fd_err >= 0 || r->ack_pending || (r->timed_out && sweeping)) continue;
        int st = r->status, sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
        int32_t code = sig ? 128 + sig : WEXITSTATUS(st);
        uint8_t flags = (r->timed_out ? 1 : 0) | (oom_kills() > r->oom_before ? 2 : 0);
        uint64_t cpu = (uint64_t)(r->ru.ru_utime.tv_sec + r->ru.ru_stime.tv_sec) * 1000000
                       + r->ru.ru_utime.tv_usec + r->ru.ru_stime.tv_usec;
        uint8_t b[30], *p = put_u32(b, (uint32_t)code);
        *p++ = (uint8_t)sig;
        *p++ = flags;
        p = put_u64(p, cpu);
        p = put_u64(p, (uint64_t)r->ru.ru_maxrss);
        put_u64(p, (uint64_t)(now - r->start_us));
        if (emit(T_EXIT, r->id, b, sizeof b) == 0) r->used = 0;
    }
    if (kill_all_count && !sweeping) {
        for (int i = 0; i < MAX_RUNS; i++)
            if (runs[i].used) return;
        while (kill_all_count && emit(T_DONE, kill_all_ids[0], NULL, 0) == 0) {
            memmove(kill_all_ids, kill_all_ids + 1, --kill_all_count * sizeof kill_all_ids[0]);
        }
    }
}

/* ---- main loop --------------------------------------------------------------------------------- */

static void setup_signals(int *sfd) {
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    int ignored[] = {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGTTIN, SIGTTOU};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) sigaction(ignored[i], &ign, NULL);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    *sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
    if (*sfd < 0) { diag("isol8-agent: signalfd: %s", strerror(errno)); exit(1); }
}

/* Kills everything, hands the channel what fits without blocking (the hello of an agent whose stdin
 * was empty, the last frames), and exits. */
static void end(int code) {
    kill_everything();
    while (out_pending()) {
        ssize_t w = write(1, outbuf + out_start, out_pending());
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        out_start += w;
    }
    _exit(code);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("isol8-agent %s (protocol %d)\n", AGENT_VERSION, PROTOCOL_VERSION);
        return 0;
    }
    is_pid1 = getpid() == 1;
    prctl(PR_SET_DUMPABLE, 0);
    if (!is_pid1) prctl(PR_SET_CHILD_SUBREAPER, 1);
    int sfd;
    setup_signals(&sfd);
    set_nonblock(0);
    set_nonblock(1);
    cgroup_version = detect_cgroup();
    {
        static const char v[] = AGENT_VERSION;
        uint8_t b[4 + 1 + 4 + sizeof v], *p = put_u32(b, PROTOCOL_VERSION);
        *p++ = (uint8_t)cgroup_version;
        p = put_u32(p, sizeof v - 1);
        memcpy(p, v, sizeof v - 1);
        emit(T_HELLO, 0, b, sizeof b - 1);
    }
    for (;;) {
        int64_t now = now_us();
        for (int i = 0; i < MAX_RUNS; i++) {
            struct run *r = &runs[i];
            if (r->used && r->deadline_us && !r->timed_out && now >= r->deadline_us) {
                r->timed_out = 1;
                kill(-r->pid, SIGKILL);
                if (!r->reaped) kill(r->pid, SIGKILL);
                sweeping = 1;
            }
        }
        if (sweeping) kill_everything();
        reap();
        if (process_input()) end(1);
        finish_runs(now);             /* after the input: a stdin-end or a dropped stdin needs no wake-up */
        pump_transfer();
        if (chan_eof) end(0);

        struct pollfd pf[3 + 3 * MAX_RUNS];
        struct { struct run *r; int which; } who[3 + 3 * MAX_RUNS];
        int n = 0;
        pf[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
        int chan_in = -1, chan_out = -1;
        if (in_end < IN_CAP && !sweeping && OUT_CAP - out_pending() >= RESERVE) {
            chan_in = n;
            pf[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
        }
        if (out_pending()) {
            chan_out = n;
            pf[n++] = (struct pollfd){.fd = 1, .events = POLLOUT};
        }
        int readable = pipes_readable();
        int64_t wake = -1;
        for (int i = 0; i < MAX_RUNS; i++) {
            struct run *r = &runs[i];
            if (!r->used) continue;
            if (readable && r->fd_out >= 0) { who[n].r = r; who[n].which = 1; pf[n++] = (struct pollfd){.fd = r->fd_out, .events = POLLIN}; }
            if (readable && r->fd_err >= 0) { who[n].r = r; who[n].which = 2; pf[n++] = (struct pollfd){.fd = r->fd_err, .events = POLLIN}; }
            if (r->fd_in >= 0 && r->s_len) { who[n].r = r; who[n].which = 0; pf[n++] = (struct pollfd){.fd = r->fd_in, .events = POLLOUT}; }
            if (r->deadline_us && !r->timed_out && (wake < 0 || r->deadline_us < wake)) wake = r->deadline_us;
            if (r->reaped && (r->fd_out >= 0 || r->fd_err >= 0) && (wake < 0 || r->grace_end_us < wake))
                wake = r->grace_end_us;
        }
        if (sweeping && (wake < 0 || now + SWEEP_RETRY_US < wake)) wake = now + SWEEP_RETRY_US;
        if (xfer.active && readable) wake = now;
        int timeout = -1;
        if (wake >= 0) timeout = wake <= now ? 0 : (int)((wake - now + 999) / 1000);
        if (poll(pf, n, timeout) < 0) {
            if (errno == EINTR) continue;
            diag("isol8-agent: poll: %s", strerror(errno));
            end(1);
        }
        if (pf[0].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {}
        }
        if (chan_out >= 0 && pf[chan_out].revents) {
            ssize_t w;
            do w = write(1, outbuf + out_start, out_pending()); while (w < 0 && errno == EINTR);
            if (w < 0 && errno != EAGAIN) end(0);                /* the server is gone */
            if (w > 0) out_start += w;
            if (out_start == out_end) out_start = out_end = 0;
        }
        if (chan_in >= 0 && pf[chan_in].revents) {
            ssize_t r;
            do r = read(0, inbuf + in_end, IN_CAP - in_end); while (r < 0 && errno == EINTR);
            if (r > 0) in_end += r;
            else if (r == 0 || errno != EAGAIN) chan_eof = 1;
        }
        for (int i = 1; i < n; i++) {
            if (!pf[i].revents || i == chan_in || i == chan_out) continue;
            struct run *r = who[i].r;
            if (who[i].which == 0) { if (r->fd_in >= 0) write_stdin(r); }
            else read_pipe(r, who[i].which == 1 ? &r->fd_out : &r->fd_err, who[i].which == 1 ? T_STDOUT : T_STDERR);
        }
    }
}
