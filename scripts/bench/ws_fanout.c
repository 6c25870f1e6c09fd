/* ws-fanout — the chat benchmark's subscribers (scripts/bench-chat): N WebSocket connections to
 * one URL through nginx, one thread, epoll. Each text frame holding "bench:<phase>:<seq>:<sent µs>"
 * counts for its phase with its latency (receipt − sent, same host clock). Prints "ready N" once
 * every connection is subscribed; on SIGTERM prints, per phase, the frames received, p50 and p99
 * latency, and the CPU this process used while the phase's frames arrived (to show the client is
 * not what is measured).
 *
 *   ws-fanout <host> <port> <path> <cookie> <connections>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PHASES 8
#define BUF 65536

struct conn {
    int fd;
    int open;  /* handshake done */
    size_t len;
    unsigned char buf[BUF];
};

struct phase {
    long long received;
    unsigned *lat_us;
    size_t cap;
    double cpu_first, cpu_last;
    int seen;
};

static struct phase phases[MAX_PHASES];
static volatile sig_atomic_t stop;

static void on_term(int sig) { (void)sig; stop = 1; }

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void record(const unsigned char *p, size_t n) {
    const char *m = memmem(p, n, "bench:", 6);
    if (!m) return;
    int ph = 0;
    long long seq = 0, sent = 0;
    if (sscanf(m, "bench:%d:%lld:%lld", &ph, &seq, &sent) != 3 || ph < 0 || ph >= MAX_PHASES) return;
    struct phase *f = &phases[ph];
    long long lat = now_us() - sent;
    if (lat < 0) lat = 0;
    if ((size_t)f->received == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 1 << 16;
        f->lat_us = realloc(f->lat_us, f->cap * sizeof *f->lat_us);
        if (!f->lat_us) { perror("realloc"); exit(1); }
    }
    f->lat_us[f->received++] = (unsigned)lat;
    double cpu = cpu_seconds();
    if (!f->seen) { f->cpu_first = cpu; f->seen = 1; }
    f->cpu_last = cpu;
}

/* A masked control frame (a client's frames are always masked). */
static void send_control(int fd, int opcode, const unsigned char *payload, size_t n) {
    unsigned char frame[2 + 4 + 125];
    if (n > 125) n = 125;
    frame[0] = 0x80 | (unsigned char)opcode;
    frame[1] = 0x80 | (unsigned char)n;
    unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    memcpy(frame + 2, mask, 4);
    for (size_t i = 0; i < n; i++) frame[6 + i] = payload[i] ^ mask[i % 4];
    if (write(fd, frame, 6 + n) < 0) { /* the connection is going anyway */ }
}

/* Consumes whole frames from c->buf; returns -1 when the server closed. */
static int frames(struct conn *c) {
    size_t off = 0;
    while (c->len - off >= 2) {
        unsigned char *h = c->buf + off;
        int opcode = h[0] & 0x0f;
        size_t n = h[1] & 0x7f, head = 2;
        if (n == 126) {
            if (c->len - off < 4) break;
            n = ((size_t)h[2] << 8) | h[3];
            head = 4;
        } else if (n == 127) {
            if (c->len - off < 10) break;
            n = 0;
            for (int i = 0; i < 8; i++) n = (n << 8) | h[2 + i];
            head = 10;
        }
        if (h[1] & 0x80) head += 4;  /* servers don't mask; skip a key if one did */
        if (n + head > BUF) { fprintf(stderr, "ws-fanout: frame of %zu bytes\n", n); return -1; }
        if (c->len - off < head + n) break;
        unsigned char *p = h + head;
        if (opcode == 1 || opcode == 0 || opcode == 2) record(p, n);
        else if (opcode == 9) send_control(c->fd, 10, p, n);
        else if (opcode == 8) return -1;
        off += head + n;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    return 0;
}

static int cmp_unsigned(const void *a, const void *b) {
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: ws-fanout <host> <port> <path> <cookie> <connections>\n");
        return 2;
    }
    const char *host = argv[1], *path = argv[3], *cookie = argv[4];
    int port = atoi(argv[2]), want = atoi(argv[5]);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);
    char request[4096];
    int rn = snprintf(request, sizeof request,
                      "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nCookie: %s\r\n\r\n",
                      path, host, port, cookie);
    int ep = epoll_create1(0);
    struct conn *conns = calloc((size_t)want, sizeof *conns);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, host, &addr.sin_addr);
    int opened = 0, closed = 0;
    for (int i = 0; i < want; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("connect"); return 1; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (write(fd, request, (size_t)rn) != rn) { perror("write"); return 1; }
        fcntl(fd, F_SETFL, O_NONBLOCK);
        conns[i].fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &conns[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        if (i % 50 == 49) usleep(20000);  /* don't flood the subscriber check all at once */
    }
    struct epoll_event events[256];
    while (!stop) {
        int n = epoll_wait(ep, events, 256, 200);
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            /* One read per readiness (level-triggered: epoll reports what is left): half the
             * system calls of reading until EAGAIN, so the client takes less of the CPU it shares
             * with what it measures. */
            for (int once = 0; !once; once = 1) {
                ssize_t r = read(c->fd, c->buf + c->len, BUF - c->len);
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                if (r <= 0) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    close(c->fd);
                    closed++;
                    break;
                }
                c->len += (size_t)r;
                if (!c->open) {
                    unsigned char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
                    if (!end) continue;
                    if (memcmp(c->buf, "HTTP/1.1 101", 12) != 0) {
                        fprintf(stderr, "ws-fanout: refused: %.40s\n", c->buf);
                        return 1;
                    }
                    size_t head = (size_t)(end - c->buf) + 4;
                    memmove(c->buf, c->buf + head, c->len - head);
                    c->len -= head;
                    c->open = 1;
                    if (++opened == want) { printf("ready %d\n", opened); fflush(stdout); }
                }
                if (frames(c) < 0) {
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                    close(c->fd);
                    closed++;
                    break;
                }
            }
        }
    }
    printf("closed %d\n", closed);
    for (int p = 0; p < MAX_PHASES; p++) {
        struct phase *f = &phases[p];
        if (!f->received) continue;
        qsort(f->lat_us, (size_t)f->received, sizeof *f->lat_us, cmp_unsigned);
        printf("phase %d received %lld p50_us %u p99_us %u cpu_s %.2f\n", p, f->received, f->lat_us[f->received / 2],
               f->lat_us[(size_t)((double)f->received * 0.99)], f->cpu_last - f->cpu_first);
    }
    return 0;
}
