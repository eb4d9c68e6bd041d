/*
 * The C test of libxmpp_ffi, run by `cargo xtask ffi` under valgrind:
 *
 *   test TESTDATA_JID_DIR [C2S_ADDRESS DOMAIN USER PASSWORD USER PASSWORD
 *                          [TLS_C2S_ADDRESS]]
 *
 * 1. frames a stream fed one byte at a time;
 * 2. normalizes every JID of TESTDATA_JID_DIR/rfc7622-3.5.tsv;
 * 3. runs a SCRAM-SHA-256 exchange, SASL client against SASL server;
 * 4. with an address (`xmpp serve` or Prosody, no TLS), logs both users
 *    of DOMAIN in over blocking sockets with the session machine, sends a
 *    message from the first to the second and fails a wrong password;
 * 5. drives the client machine against the server machine in memory: a
 *    login, a message each way, a clean close;
 * 6. in memory too: a XEP-0198 session cut with stanzas in flight and
 *    resumed by a new pair (each stanza delivered exactly once), a FAST
 *    token issued, used and replayed, and the client options;
 * 7. with a TLS address (`xmpp serve --tls required`), logs the first user
 *    in over STARTTLS run by OpenSSL, with SCRAM-SHA-256-PLUS bound to
 *    tls-exporter (RFC 9266), and fails a login with a wrong binding.
 *
 * Prints "N passed, N failed" last; exits non-zero on any failure.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "xmpp.h"

static int passed;
static int failed;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (cond) {                                                            \
            passed++;                                                          \
        } else {                                                               \
            failed++;                                                          \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);               \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, " (last error: %s)\n",                             \
                    xmpp_last_error_message() ? xmpp_last_error_message()      \
                                              : "none");                       \
        }                                                                      \
    } while (0)

static int str_eq(xmpp_str s, const char *want)
{
    size_t n = strlen(want);
    return s.ptr != NULL && s.len == n && memcmp(s.ptr, want, n) == 0;
}

/* ---- 1. The framer, one byte at a time ---------------------------------- */

static void test_framer(void)
{
    static const char stream[] =
        "<?xml version='1.0'?>"
        "<stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' "
        "version='1.0'>"
        "<message to='juliet@example.com' type='chat' id='a&amp;b'>"
        "<body>h\xc3\xa9llo</body></message> "
        "<presence/>"
        "</stream:stream>";
    static const xmpp_frame_kind want[] = {
        XMPP_FRAME_STREAM_OPEN, XMPP_FRAME_ELEMENT, XMPP_FRAME_WHITESPACE,
        XMPP_FRAME_ELEMENT, XMPP_FRAME_STREAM_CLOSE,
    };
    size_t nwant = sizeof want / sizeof want[0];
    size_t got = 0;
    size_t i;
    xmpp_framer *f = NULL;
    xmpp_status st = xmpp_framer_new(XMPP_TRANSPORT_TCP, &f);
    CHECK(st == XMPP_OK && f != NULL, "framer_new: %u", (unsigned)st);
    if (f == NULL) {
        return;
    }
    for (i = 0; i < sizeof stream - 1; i++) {
        xmpp_frame_kind kind = XMPP_FRAME_NONE;
        CHECK(xmpp_framer_feed(f, (const uint8_t *)&stream[i], 1) == XMPP_OK,
              "feed byte %zu", i);
        for (;;) {
            st = xmpp_framer_next(f, &kind);
            if (st != XMPP_OK || kind == XMPP_FRAME_NONE) {
                break;
            }
            CHECK(got < nwant && kind == want[got], "event %zu kind %u", got,
                  (unsigned)kind);
            if (got == 0) {
                CHECK(str_eq(xmpp_framer_event_attr(f, "to", 2), "example.com"),
                      "stream header to");
            }
            if (got == 1) {
                xmpp_str xml = xmpp_framer_event_xml(f);
                CHECK(str_eq(xmpp_framer_event_name(f), "message"), "name");
                CHECK(str_eq(xmpp_framer_event_namespace(f), "jabber:client"),
                      "namespace");
                CHECK(str_eq(xmpp_framer_event_attr(f, "id", 2), "a&b"),
                      "unescaped id");
                CHECK(xml.len > 0 && memcmp(xml.ptr, "<message", 8) == 0,
                      "exact bytes");
            }
            got++;
        }
        CHECK(st == XMPP_OK, "next at byte %zu: %s", i,
              xmpp_status_name(st));
    }
    CHECK(got == nwant, "%zu events", got);
    CHECK(xmpp_framer_finish(f) == XMPP_OK, "finish");
    xmpp_framer_free(f);

    /* A comment is restricted XML (RFC 6120 §11.1): the condition comes
     * back as the status, again on every later call. */
    f = NULL;
    CHECK(xmpp_framer_new(XMPP_TRANSPORT_TCP, &f) == XMPP_OK, "framer_new");
    {
        static const char bad[] =
            "<stream:stream xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams'><!-- x -->";
        xmpp_frame_kind kind = XMPP_FRAME_NONE;
        xmpp_framer_feed(f, (const uint8_t *)bad, sizeof bad - 1);
        CHECK(xmpp_framer_next(f, &kind) == XMPP_OK &&
                  kind == XMPP_FRAME_STREAM_OPEN,
              "header before the comment");
        CHECK(xmpp_framer_next(f, &kind) == XMPP_STREAM_RESTRICTED_XML,
              "restricted-xml");
        CHECK(xmpp_last_error_message() != NULL, "message kept");
        CHECK(xmpp_framer_next(f, &kind) == XMPP_STREAM_RESTRICTED_XML,
              "the same error again");
        CHECK(strcmp(xmpp_status_name(XMPP_STREAM_RESTRICTED_XML),
                     "restricted-xml") == 0,
              "status name");
    }
    xmpp_framer_free(f);

    /* Hostile arguments: null handles, null buffers, bad enum values. */
    CHECK(xmpp_framer_new(99, &f) == XMPP_INVALID_ARGUMENT, "bad transport");
    CHECK(xmpp_framer_new(XMPP_TRANSPORT_TCP, NULL) == XMPP_INVALID_ARGUMENT,
          "null out");
    CHECK(xmpp_framer_feed(NULL, NULL, 0) == XMPP_INVALID_ARGUMENT,
          "null framer");
    CHECK(xmpp_framer_next(NULL, NULL) == XMPP_INVALID_ARGUMENT, "null next");
    CHECK(xmpp_framer_event_name(NULL).ptr == NULL, "null getter");
    xmpp_framer_free(NULL);
}

/* ---- 2. JIDs from testdata/jid ------------------------------------------ */

/* Appends the UTF-8 encoding of `cp` to out (room is checked by the
 * caller: at most 4 bytes). */
static size_t put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static unsigned long hex4(const char *s)
{
    char buf[5];
    memcpy(buf, s, 4);
    buf[4] = '\0';
    return strtoul(buf, NULL, 16);
}

/* Decodes the JSON string `in` (with its quotes) into out; returns the
 * length, or -1 when it is not one this test understands. A lone
 * surrogate becomes its 3-byte (invalid UTF-8) form, which the library
 * must refuse as XMPP_INVALID_UTF8. */
static long json_string(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    if (*in++ != '"') {
        return -1;
    }
    while (*in != '"') {
        unsigned long cp;
        if (*in == '\0' || n + 4 >= cap) {
            return -1;
        }
        if (*in != '\\') {
            out[n++] = *in++;
            continue;
        }
        in++;
        switch (*in) {
        case '"': case '\\': case '/':
            out[n++] = *in++;
            continue;
        case 'n': out[n++] = '\n'; in++; continue;
        case 't': out[n++] = '\t'; in++; continue;
        case 'r': out[n++] = '\r'; in++; continue;
        case 'b': out[n++] = '\b'; in++; continue;
        case 'f': out[n++] = '\f'; in++; continue;
        case 'u':
            if (strlen(in + 1) < 4) {
                return -1;
            }
            cp = hex4(in + 1);
            in += 5;
            if (cp >= 0xD800 && cp < 0xDC00 && in[0] == '\\' && in[1] == 'u' &&
                strlen(in + 2) >= 4) {
                unsigned long lo = hex4(in + 2);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    in += 6;
                }
            }
            n += put_utf8(out + n, cp);
            continue;
        default:
            return -1;
        }
    }
    return (long)n;
}

static void test_jids(const char *dir)
{
    char path[4096];
    char line[8192];
    int rows = 0;
    FILE *fp;
    snprintf(path, sizeof path, "%s/rfc7622-3.5.tsv", dir);
    fp = fopen(path, "r");
    CHECK(fp != NULL, "open %s", path);
    if (fp == NULL) {
        return;
    }
    while (fgets(line, sizeof line, fp) != NULL) {
        char *cols[4];
        char input[2048];
        char expected[2048];
        long ilen;
        int c = 0;
        char *p = line;
        xmpp_jid *jid = NULL;
        xmpp_status st;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        while (c < 4 && p != NULL) {
            cols[c++] = p;
            p = strchr(p, '\t');
            if (p != NULL) {
                *p++ = '\0';
            }
        }
        if (c != 4) {
            CHECK(0, "%s: a row without 4 columns", path);
            continue;
        }
        rows++;
        ilen = json_string(cols[2], input, sizeof input);
        CHECK(ilen >= 0, "%s: bad JSON input", cols[0]);
        if (ilen < 0) {
            continue;
        }
        if (strcmp(cols[1], "legacy") == 0) {
            st = xmpp_jid_parse_legacy(input, (size_t)ilen, &jid);
        } else {
            st = xmpp_jid_parse(input, (size_t)ilen, &jid);
        }
        if (cols[3][0] == '!') {
            const char *kind = xmpp_last_error_kind();
            CHECK(st == XMPP_STANZA_JID_MALFORMED || st == XMPP_INVALID_UTF8,
                  "%s: accepted, expected %s", cols[0], cols[3] + 1);
            CHECK(st != XMPP_STANZA_JID_MALFORMED ||
                      (kind != NULL && strcmp(kind, cols[3] + 1) == 0),
                  "%s: kind %s, expected %s", cols[0], kind ? kind : "(null)",
                  cols[3] + 1);
            CHECK(jid == NULL, "%s: out written on failure", cols[0]);
        } else {
            long elen = json_string(cols[3], expected, sizeof expected);
            xmpp_str s = xmpp_jid_string(jid);
            expected[elen < 0 ? 0 : elen] = '\0';
            CHECK(st == XMPP_OK, "%s: refused: %s", cols[0],
                  xmpp_status_name(st));
            CHECK(st != XMPP_OK || str_eq(s, expected), "%s: got %.*s",
                  cols[0], (int)s.len, s.ptr ? s.ptr : "");
            CHECK(st != XMPP_OK || xmpp_jid_domainpart(jid).len > 0,
                  "%s: domainpart", cols[0]);
        }
        xmpp_jid_free(jid);
    }
    fclose(fp);
    CHECK(rows > 10, "%d rows in %s", rows, path);

    {
        /* Parts, invalid UTF-8, null input. */
        xmpp_jid *jid = NULL;
        static const char bad[] = "a\xff@example.com";
        CHECK(xmpp_jid_parse("Juliet@Example.COM/Balcony", 26, &jid) == XMPP_OK,
              "parse");
        CHECK(str_eq(xmpp_jid_localpart(jid), "juliet"), "localpart");
        CHECK(str_eq(xmpp_jid_domainpart(jid), "example.com"), "domainpart");
        CHECK(str_eq(xmpp_jid_resourcepart(jid), "Balcony"), "resourcepart");
        xmpp_jid_free(jid);
        jid = NULL;
        CHECK(xmpp_jid_parse("example.com", 11, &jid) == XMPP_OK, "bare");
        CHECK(xmpp_jid_localpart(jid).ptr == NULL, "no localpart");
        CHECK(xmpp_jid_resourcepart(jid).ptr == NULL, "no resourcepart");
        xmpp_jid_free(jid);
        jid = NULL;
        CHECK(xmpp_jid_parse(bad, sizeof bad - 1, &jid) == XMPP_INVALID_UTF8,
              "invalid UTF-8");
        CHECK(xmpp_jid_parse(NULL, 5, &jid) == XMPP_INVALID_ARGUMENT,
              "null input");
        CHECK(xmpp_jid_parse(NULL, 0, &jid) == XMPP_STANZA_JID_MALFORMED,
              "empty input");
        CHECK(xmpp_jid_parse("a@b", 3, NULL) == XMPP_INVALID_ARGUMENT,
              "null out");
        xmpp_jid_free(NULL);
    }
}

/* ---- 3. SCRAM-SHA-256, client against server ---------------------------- */

/* One exchange; returns the status it ended with (XMPP_OK when both sides
 * succeeded). `known` picks the server's answer to the credentials
 * request: the account's password, or "no such user". */
static xmpp_status scram(const char *user, const char *password, int known)
{
    static const uint8_t secret[32] = "a server secret of 32 bytes!!!!";
    static const uint8_t salt[16] = "0123456789abcdef";
    xmpp_sasl_client *c = NULL;
    xmpp_sasl_server *s = NULL;
    xmpp_sasl_step cstep = XMPP_SASL_SEND;
    xmpp_sasl_step sstep = XMPP_SASL_CHALLENGE;
    xmpp_status st;
    xmpp_str mech;
    int rounds;

    st = xmpp_sasl_client_new("PLAIN SCRAM-SHA-1 SCRAM-SHA-256", 31, user,
                              strlen(user), password, strlen(password),
                              "fyko+d2lbbFgONRv9qkxdawL", 24, &c);
    CHECK(st == XMPP_OK, "sasl_client_new: %s", xmpp_status_name(st));
    mech = xmpp_sasl_client_mechanism(c);
    CHECK(str_eq(mech, "SCRAM-SHA-256"), "picked %.*s", (int)mech.len,
          mech.ptr ? mech.ptr : "");
    st = xmpp_sasl_server_new(mech.ptr, mech.len, secret, sizeof secret,
                              "3rfcNHYJY1ZVvWVs7j", 18, &s);
    CHECK(st == XMPP_OK, "sasl_server_new: %s", xmpp_status_name(st));

    /* The initial response. */
    st = xmpp_sasl_client_step(c, NULL, 0, &cstep);
    for (rounds = 0; st == XMPP_OK && rounds < 10; rounds++) {
        xmpp_bytes msg = xmpp_sasl_client_output(c);
        if (cstep == XMPP_SASL_DONE) {
            break;
        }
        st = xmpp_sasl_server_step(s, msg.ptr, msg.len, &sstep);
        if (st == XMPP_OK && sstep == XMPP_SASL_NEED_CREDENTIALS) {
            CHECK(str_eq(xmpp_sasl_server_authcid(s), user), "authcid");
            if (known) {
                st = xmpp_sasl_server_password(s, "pencil", 6, salt,
                                               sizeof salt, 4096, &sstep);
            } else {
                st = xmpp_sasl_server_unknown_user(s, &sstep);
            }
        }
        if (st != XMPP_OK) {
            break;
        }
        /* A challenge, or the success with its additional data, which
         * the client verifies (the server signature). */
        msg = xmpp_sasl_server_output(s);
        st = xmpp_sasl_client_step(c, msg.ptr, msg.len, &cstep);
        if (st == XMPP_OK && sstep == XMPP_SASL_SUCCESS) {
            CHECK(cstep == XMPP_SASL_DONE, "client done after success");
            CHECK(str_eq(xmpp_sasl_server_authcid(s), user), "success user");
            break;
        }
    }
    xmpp_sasl_client_free(c);
    xmpp_sasl_server_free(s);
    return st;
}

static void test_sasl(void)
{
    xmpp_sasl_client *c = NULL;
    xmpp_status st = scram("user", "pencil", 1);
    CHECK(st == XMPP_OK, "SCRAM-SHA-256 login: %s", xmpp_status_name(st));
    st = scram("user", "wrong", 1);
    CHECK(st == XMPP_SASL_NOT_AUTHORIZED, "wrong password: %s",
          xmpp_status_name(st));
    st = scram("nobody", "pencil", 0);
    CHECK(st == XMPP_SASL_NOT_AUTHORIZED, "unknown user: %s",
          xmpp_status_name(st));
    CHECK(xmpp_sasl_client_new("PLAIN", 5, "u", 1, "p", 1, NULL, 0, &c) ==
              XMPP_NO_MECHANISM,
          "PLAIN alone is not picked");
    CHECK(xmpp_sasl_client_new("SCRAM-SHA-256", 13, "u", 1, "p", 1, "a,b", 3,
                               &c) == XMPP_INVALID_INPUT,
          "a nonce with a comma (RFC 5802 printable)");
    CHECK(xmpp_sasl_client_step(NULL, NULL, 0, NULL) == XMPP_INVALID_ARGUMENT,
          "null client");
    CHECK(xmpp_sasl_client_output(NULL).ptr == NULL, "null output");
    xmpp_sasl_client_free(NULL);
    xmpp_sasl_server_free(NULL);
}

/* ---- 4. A session with `xmpp serve` over blocking sockets --------------- */

/* One client connection: the socket, the machine and what it reported. */
struct peer {
    int fd;
    SSL_CTX *tls; /* STARTTLS with this context when asked; NULL: none */
    SSL *ssl;     /* the session, once started */
    int bad_binding;
    xmpp_tls_version tls_version;
    char mechanism[64];
    char binding[64];
    xmpp_client *client;
    xmpp_status error;
    int bound;
    int closed;
    char jid[512];
    char got_from[512];
    char got_body[512];
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void copy_str(char *dst, size_t cap, xmpp_str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (s.ptr != NULL) {
        memcpy(dst, s.ptr, n);
    }
    dst[s.ptr != NULL ? n : 0] = '\0';
}

static int tcp_connect(const char *address)
{
    char host[64];
    const char *colon = strrchr(address, ':');
    struct sockaddr_in sa;
    int fd;
    if (colon == NULL || (size_t)(colon - address) >= sizeof host) {
        return -1;
    }
    memcpy(host, address, (size_t)(colon - address));
    host[colon - address] = '\0';
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        return -1;
    }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int start_tls(struct peer *p, int bad_binding);

/* Writes all of out, over TLS once it runs; false on failure. */
static int write_all(struct peer *p, xmpp_bytes out)
{
    size_t off = 0;
    while (off < out.len) {
        int chunk = out.len - off > 65536 ? 65536 : (int)(out.len - off);
        ssize_t n = p->ssl != NULL
                        ? (ssize_t)SSL_write(p->ssl, out.ptr + off, chunk)
                        : write(p->fd, out.ptr + off, (size_t)chunk);
        if (n <= 0) {
            return 0;
        }
        off += (size_t)n;
    }
    return 1;
}

/* Writes every transmit, handles every event; then waits up to
 * `wait_ms` for bytes and feeds them. What a driver's loop does. */
static void pump(struct peer *p, int wait_ms)
{
    xmpp_bytes out;
    xmpp_client_event kind;
    struct pollfd pfd;
    uint8_t buf[4096];
    uint64_t deadline = 0;
    ssize_t n;

    while (xmpp_client_poll_transmit(p->client, &out) == XMPP_OK &&
           out.ptr != NULL) {
        if (!write_all(p, out)) {
            xmpp_client_connection_lost(p->client);
            break;
        }
    }
    while (xmpp_client_poll_event(p->client, &kind) == XMPP_OK &&
           kind != XMPP_CLIENT_EVENT_NONE) {
        switch (kind) {
        case XMPP_CLIENT_EVENT_START_TLS:
            /* Bytes after <proceed/> would be the server's TLS records:
             * `xmpp serve` waits for the ClientHello, so there are none. */
            CHECK(xmpp_client_event_bytes(p->client).ptr == NULL,
                  "no TLS bytes after <proceed/>");
            if (p->tls == NULL || !start_tls(p, p->bad_binding)) {
                CHECK(p->tls == NULL, "TLS handshake");
                p->error = XMPP_TLS_REQUIRED;
                return;
            }
            break;
        case XMPP_CLIENT_EVENT_AUTHENTICATED:
            copy_str(p->mechanism, sizeof p->mechanism,
                     xmpp_client_event_text(p->client));
            copy_str(p->binding, sizeof p->binding,
                     xmpp_client_event_detail(p->client));
            break;
        case XMPP_CLIENT_EVENT_BOUND:
            p->bound = 1;
            copy_str(p->jid, sizeof p->jid, xmpp_client_event_text(p->client));
            break;
        case XMPP_CLIENT_EVENT_STANZA:
            if (xmpp_client_event_body(p->client).ptr != NULL) {
                copy_str(p->got_body, sizeof p->got_body,
                         xmpp_client_event_body(p->client));
                copy_str(p->got_from, sizeof p->got_from,
                         xmpp_client_event_from(p->client));
            }
            break;
        case XMPP_CLIENT_EVENT_CLOSED:
            p->closed = 1;
            break;
        default:
            break;
        }
    }
    if (p->closed || p->error != XMPP_OK) {
        return;
    }
    if (xmpp_client_poll_timeout(p->client, &deadline) == XMPP_OK &&
        deadline <= now_ms()) {
        xmpp_status st = xmpp_client_handle_timeout(p->client, now_ms());
        if (st != XMPP_OK) {
            p->error = st;
        }
    }
    pfd.fd = p->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    /* Records OpenSSL already read are not on the socket any more. */
    if ((p->ssl == NULL || SSL_pending(p->ssl) == 0) &&
        poll(&pfd, 1, wait_ms) <= 0) {
        return;
    }
    if (p->ssl != NULL) {
        int r = SSL_read(p->ssl, buf, sizeof buf);
        if (r <= 0 && SSL_get_error(p->ssl, r) == SSL_ERROR_WANT_READ) {
            return; /* a record without application data (a ticket) */
        }
        n = r;
    } else {
        n = read(p->fd, buf, sizeof buf);
    }
    if (n < 0 && errno == EINTR) {
        return;
    }
    if (n <= 0) {
        xmpp_client_connection_lost(p->client);
        p->closed = 1;
        return;
    }
    {
        xmpp_status st = xmpp_client_handle_input(p->client, buf, (size_t)n);
        if (st != XMPP_OK && p->error == XMPP_OK) {
            p->error = st;
        }
    }
}

/* Connects and logs in; the peer is bound, or has its error. */
static void login(struct peer *p, const char *address, const char *domain,
                  const char *user, const char *password)
{
    char jid[256];
    uint8_t seed[32];
    FILE *rnd = fopen("/dev/urandom", "rb");
    int i;
    memset(p, 0, sizeof *p);
    CHECK(rnd != NULL && fread(seed, 1, sizeof seed, rnd) == sizeof seed,
          "read /dev/urandom");
    if (rnd != NULL) {
        fclose(rnd);
    }
    snprintf(jid, sizeof jid, "%s@%s", user, domain);
    p->fd = tcp_connect(address);
    CHECK(p->fd >= 0, "connect to %s", address);
    CHECK(xmpp_client_new(jid, strlen(jid), password, strlen(password), seed,
                          now_ms(), XMPP_TLS_POLICY_OFF, XMPP_TRANSPORT_TCP,
                          &p->client) == XMPP_OK,
          "client_new");
    if (p->fd < 0 || p->client == NULL) {
        p->error = XMPP_CONNECTION_LOST;
        return;
    }
    for (i = 0; i < 500 && !p->bound && !p->closed && p->error == XMPP_OK;
         i++) {
        pump(p, 100);
    }
}

/* Closes the stream cleanly and frees everything. */
static void logout(struct peer *p)
{
    int i;
    if (p->client != NULL && p->error == XMPP_OK && !p->closed) {
        CHECK(xmpp_client_close(p->client) == XMPP_OK, "close");
        for (i = 0; i < 100 && !p->closed && p->error == XMPP_OK; i++) {
            pump(p, 100);
        }
        CHECK(p->closed, "closed by the server");
    }
    if (p->ssl != NULL) {
        SSL_shutdown(p->ssl); /* our close_notify; the socket closes next */
        SSL_free(p->ssl);
        p->ssl = NULL;
    }
    if (p->fd >= 0) {
        close(p->fd);
    }
    xmpp_client_free(p->client);
    p->client = NULL;
}

static void test_session(const char *address, const char *domain,
                         const char *user1, const char *pass1,
                         const char *user2, const char *pass2)
{
    struct peer a;
    struct peer b;
    struct peer wrong;
    static const char body[] = "hello from C \xe2\x9c\x93";
    int i;

    login(&a, address, domain, user1, pass1);
    CHECK(a.bound, "%s bound (status %s)", user1, xmpp_status_name(a.error));
    CHECK(str_eq(xmpp_client_jid(a.client), a.jid), "client_jid");
    login(&b, address, domain, user2, pass2);
    CHECK(b.bound, "%s bound (status %s)", user2, xmpp_status_name(b.error));
    if (a.bound && b.bound) {
        CHECK(xmpp_client_send_message(a.client, b.jid, strlen(b.jid), body,
                                       strlen(body)) == XMPP_OK,
              "send_message");
        for (i = 0; i < 100 && b.got_body[0] == '\0' && b.error == XMPP_OK;
             i++) {
            pump(&a, 10);
            pump(&b, 100);
        }
        CHECK(strcmp(b.got_body, body) == 0, "%s got %s", user2, b.got_body);
        CHECK(strcmp(b.got_from, a.jid) == 0, "from %s, sent by %s",
              b.got_from, a.jid);
        CHECK(xmpp_client_send_xml(a.client, (const uint8_t *)"<not-a-stanza/>",
                                   15) == XMPP_INVALID_INPUT,
              "send_xml refuses a non-stanza");
    }
    logout(&a);
    logout(&b);

    /* A wrong password: the server's <failure/> condition comes back. */
    login(&wrong, address, domain, user1, "not the password");
    CHECK(!wrong.bound && wrong.error == XMPP_SASL_NOT_AUTHORIZED,
          "wrong password: %s", xmpp_status_name(wrong.error));
    logout(&wrong);

    {
        xmpp_client *c = NULL;
        uint8_t seed[32] = {0};
        CHECK(xmpp_client_new("alice@localhost", 15, "x", 1, NULL, 0,
                              XMPP_TLS_POLICY_OFF, XMPP_TRANSPORT_TCP,
                              &c) == XMPP_INVALID_ARGUMENT,
              "null seed");
        CHECK(xmpp_client_new("alice@localhost", 15, "x", 1, seed, 0, 7,
                              XMPP_TRANSPORT_TCP, &c) == XMPP_INVALID_ARGUMENT,
              "bad policy");
        CHECK(xmpp_client_new("alice@localhost/r", 17, "x", 1, seed, 0,
                              XMPP_TLS_POLICY_OFF, XMPP_TRANSPORT_TCP,
                              &c) == XMPP_STANZA_JID_MALFORMED,
              "a full JID as the account");
        CHECK(xmpp_client_new("alice@localhost", 15, "x", 1, seed, 0,
                              XMPP_TLS_POLICY_OFF, XMPP_TRANSPORT_TCP,
                              &c) == XMPP_OK,
              "client_new");
        CHECK(xmpp_client_send_message(c, "bob@localhost", 13, "hi", 2) ==
                  XMPP_WRONG_PHASE,
              "send before bind");
        CHECK(xmpp_client_is_closed(NULL), "null is closed");
        xmpp_client_free(c);
        xmpp_client_free(NULL);
    }
}

/* ---- 5. Client against server machine, in memory ------------------------ */

static void test_pair(void)
{
    static const uint8_t secret[32] = "the secret of the in-memory pair";
    static const uint8_t salt[16] = "salt-of-juliet!!";
    uint8_t cseed[32];
    uint8_t sseed[32];
    xmpp_client *c = NULL;
    xmpp_server *s = NULL;
    char bound[256] = "";
    char stamped[256] = "";
    char got_body[256] = "";
    char reply_body[256] = "";
    int sent = 0;
    int replied = 0;
    int closed = 0;
    int round;

    memset(cseed, 1, sizeof cseed);
    memset(sseed, 2, sizeof sseed);
    CHECK(xmpp_client_new("juliet@example.com", 18, "r0m30", 5, cseed, 0,
                          XMPP_TLS_POLICY_OFF, XMPP_TRANSPORT_TCP,
                          &c) == XMPP_OK,
          "client_new");
    CHECK(xmpp_server_new("example.com", 11, secret, sizeof secret, sseed, 0,
                          XMPP_TLS_POLICY_OFF, XMPP_TRANSPORT_TCP,
                          &s) == XMPP_OK,
          "server_new");
    if (c == NULL || s == NULL) {
        xmpp_client_free(c);
        xmpp_server_free(s);
        return;
    }
    /* Decisions nobody asked for change nothing. */
    CHECK(xmpp_server_reject_resume_timed_out(s, 3) == XMPP_WRONG_PHASE,
          "reject_resume_timed_out out of turn");
    CHECK(xmpp_server_reject_resume_timed_out(NULL, 3) != XMPP_OK,
          "reject_resume_timed_out on null");
    for (round = 0; round < 200 && !closed; round++) {
        xmpp_bytes out;
        xmpp_client_event ce;
        xmpp_server_event se;
        /* The wire, both ways, one byte at a time one way. */
        while (xmpp_client_poll_transmit(c, &out) == XMPP_OK && out.ptr) {
            size_t i;
            for (i = 0; i < out.len; i++) {
                xmpp_server_handle_input(s, out.ptr + i, 1);
            }
        }
        while (xmpp_server_poll_transmit(s, &out) == XMPP_OK && out.ptr) {
            xmpp_client_handle_input(c, out.ptr, out.len);
        }
        while (xmpp_server_poll_event(s, &se) == XMPP_OK &&
               se != XMPP_SERVER_EVENT_NONE) {
            xmpp_str t = xmpp_server_event_text(s);
            switch (se) {
            case XMPP_SERVER_EVENT_CREDENTIALS_REQUEST:
                CHECK(str_eq(xmpp_server_event_detail(s), "SCRAM-SHA-256"),
                      "mechanism");
                if (str_eq(t, "juliet")) {
                    CHECK(xmpp_server_provide_password(s, "r0m30", 5, salt,
                                                       sizeof salt,
                                                       4096) == XMPP_OK,
                          "provide_password");
                } else {
                    xmpp_server_unknown_user(s);
                }
                break;
            case XMPP_SERVER_EVENT_BIND_REQUEST:
                if (t.ptr != NULL) {
                    xmpp_server_accept_bind(s, t.ptr, t.len);
                } else {
                    xmpp_str sug = xmpp_server_event_detail(s);
                    CHECK(xmpp_server_accept_bind(s, sug.ptr, sug.len) ==
                              XMPP_OK,
                          "accept_bind");
                }
                break;
            case XMPP_SERVER_EVENT_RESUME_REQUEST:
                xmpp_server_reject_resume(s);
                break;
            case XMPP_SERVER_EVENT_TOKEN_REQUEST:
                xmpp_server_decline_token(s);
                break;
            case XMPP_SERVER_EVENT_STANZA:
                copy_str(got_body, sizeof got_body, xmpp_server_event_body(s));
                copy_str(stamped, sizeof stamped, xmpp_server_event_from(s));
                if (!replied) {
                    char xml[512];
                    int n = snprintf(xml, sizeof xml,
                                     "<message xmlns='jabber:client' "
                                     "from='romeo@example.net/orchard' "
                                     "to='%s' type='chat'><body>by "
                                     "return</body></message>",
                                     bound);
                    CHECK(xmpp_server_send_xml(s, (const uint8_t *)xml,
                                               (size_t)n) == XMPP_OK,
                          "server send_xml");
                    replied = 1;
                }
                break;
            default:
                break;
            }
        }
        while (xmpp_client_poll_event(c, &ce) == XMPP_OK &&
               ce != XMPP_CLIENT_EVENT_NONE) {
            if (ce == XMPP_CLIENT_EVENT_BOUND) {
                copy_str(bound, sizeof bound, xmpp_client_event_text(c));
                if (!sent) {
                    CHECK(xmpp_client_send_message(c, "romeo@example.net", 17,
                                                   "wherefore", 9) == XMPP_OK,
                          "client send");
                    sent = 1;
                }
            } else if (ce == XMPP_CLIENT_EVENT_STANZA) {
                copy_str(reply_body, sizeof reply_body,
                         xmpp_client_event_body(c));
                xmpp_client_close(c);
            } else if (ce == XMPP_CLIENT_EVENT_CLOSED) {
                closed = 1;
            }
        }
    }
    CHECK(strncmp(bound, "juliet@example.com/", 19) == 0, "bound %s", bound);
    CHECK(str_eq(xmpp_server_jid(s), bound), "server_jid");
    CHECK(strcmp(got_body, "wherefore") == 0, "server got %s", got_body);
    CHECK(strcmp(stamped, bound) == 0, "from stamped %s", stamped);
    CHECK(strcmp(reply_body, "by return") == 0, "client got %s", reply_body);
    CHECK(closed, "closed both ways");
    CHECK(xmpp_server_reject_bind(s, XMPP_SASL_ABORTED) ==
              XMPP_INVALID_ARGUMENT,
          "reject_bind takes stanza conditions only");
    xmpp_client_free(c);
    xmpp_server_free(s);
}

/* ---- 6. Resumption, FAST and the client options, in memory -------------- */

/* A client machine and a server machine wired together in memory, with
 * the server application's state (the session it kept, the FAST token it
 * issued) and what each side saw. Each side's counts outlive the pair, so
 * that a test can check what a resumed session delivered in all. */
#define MAX_GOT 16

struct mem {
    xmpp_client *c;
    xmpp_server *s;
    uint64_t now;
    int wire_up;               /* 0: bytes are dropped (the cut) */
    /* The server application. */
    xmpp_resumption *kept;     /* the session it keeps for the client */
    /* The client's two FAST token slots (XEP-0484 §5.1): */
    char token[64];            /* current: the token used last, "" for none */
    uint64_t processed;        /* the highest FAST count processed */
    int has_processed;
    uint64_t expiry;           /* the token's, seconds since the epoch */
    char new_token[64];        /* new: issued, not used yet, "" for none */
    uint64_t new_processed;
    int has_new_processed;
    uint64_t new_expiry;
    int rotate;                /* rotate each token used (XEP-0484 §3.5) */
    int issued_count;          /* tokens issued, to name the next one */
    uint64_t unix_now;         /* the server application's wall clock */
    int used_meanwhile;        /* another connection records each count
                                  just before this one does (a race) */
    /* What the client saw. */
    char bound[256];
    char mechanism[64];
    char binding[64];
    char issued_mech[64];
    char issued_token[64];
    char issued_expiry[64];
    int resumed;
    size_t resent;
    int resume_failed;
    int token_rejected;
    int sm_resumable;
    int c_closed;
    int c_closed_resumable;
    size_t c_acked;            /* stanzas the server acknowledged */
    char c_acked_first[512];
    xmpp_status c_error;
    /* What the server saw. */
    char client_id[64];        /* the SASL2 user agent of the last */
    char client_software[64];  /* CREDENTIALS_REQUEST */
    char client_device[64];
    int s_bound;
    int s_resumed;
    int s_closed;
    int s_closed_resumable;
    int token_requests;
    int fast_requests;
    int auth_failed;           /* failed attempts reported */
    char auth_failed_condition[64];
    size_t s_acked;            /* stanzas the client acknowledged */
    int sasl2;                 /* SASL2 <authenticate/> elements seen */
    xmpp_status s_error;
};

/* Bodies received, across pairs: the exactly-once ledger. */
static char c_got[MAX_GOT][64];
static int nc_got;
static char s_got[MAX_GOT][64];
static int ns_got;

static int count_body(char got[][64], int n, const char *body)
{
    int i;
    int k = 0;
    for (i = 0; i < n; i++) {
        k += strcmp(got[i], body) == 0;
    }
    return k;
}

static void note_body(char got[][64], int *n, xmpp_str body)
{
    if (body.ptr != NULL && *n < MAX_GOT) {
        copy_str(got[*n], sizeof got[*n], body);
        (*n)++;
    }
}

static int contains(xmpp_bytes b, const char *needle)
{
    size_t n = strlen(needle);
    size_t i;
    for (i = 0; b.ptr != NULL && i + n <= b.len; i++) {
        if (memcmp(b.ptr + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static void mem_server_events(struct mem *m)
{
    static const uint8_t salt[16] = "salt-of-juliet!!";
    static const char issued[] = "fast-token-of-juliet-0123456789abcdef";
    xmpp_server_event se;
    xmpp_server *s = m->s;
    while (xmpp_server_poll_event(s, &se) == XMPP_OK &&
           se != XMPP_SERVER_EVENT_NONE) {
        xmpp_str t = xmpp_server_event_text(s);
        switch (se) {
        case XMPP_SERVER_EVENT_CREDENTIALS_REQUEST:
            copy_str(m->client_id, sizeof m->client_id,
                     xmpp_server_event_client_id(s));
            copy_str(m->client_software, sizeof m->client_software,
                     xmpp_server_event_client_software(s));
            copy_str(m->client_device, sizeof m->client_device,
                     xmpp_server_event_client_device(s));
            if (xmpp_server_event_flag(s)) {
                /* A FAST token: the replay check needs the highest count
                 * processed, the expiry check the token's expiry. The
                 * count is recorded on TOKEN_USED, once proven. */
                m->fast_requests++;
                if (str_eq(t, "juliet") &&
                    (m->token[0] != '\0' || m->new_token[0] != '\0')) {
                    if (m->new_token[0] != '\0') {
                        CHECK(xmpp_server_provide_new_token(
                                  s, m->new_token, strlen(m->new_token),
                                  m->new_processed, m->has_new_processed != 0,
                                  m->new_expiry) == XMPP_OK,
                              "provide_new_token");
                    }
                    xmpp_server_provide_token(s, m->token, strlen(m->token),
                                              m->processed,
                                              m->has_processed != 0,
                                              m->expiry, m->unix_now);
                } else {
                    xmpp_server_unknown_user(s);
                }
            } else if (str_eq(t, "juliet")) {
                xmpp_server_provide_password(s, "r0m30", 5, salt, sizeof salt,
                                             4096);
            } else {
                xmpp_server_unknown_user(s);
            }
            break;
        case XMPP_SERVER_EVENT_TOKEN_USED: {
            /* The token is proven: its count is checked and recorded in
             * one step (one lock in a threaded server), a `new` token
             * moved into the `current` slot (XEP-0484 §5.1), or the
             * client's tokens dropped on request (§3.6). A count recorded
             * meanwhile makes this use a replay. */
            uint64_t count = 0;
            int has_count = xmpp_server_event_fast_count(s, &count);
            int is_new = xmpp_server_event_fast_new_slot(s);
            const char *slot = is_new ? m->new_token : m->token;
            uint64_t *processed = is_new ? &m->new_processed : &m->processed;
            int *has_processed =
                is_new ? &m->has_new_processed : &m->has_processed;
            if (m->used_meanwhile && has_count) {
                *processed = count;
                *has_processed = 1;
            }
            if (slot[0] == '\0' ||
                (has_count && *has_processed && count <= *processed)) {
                xmpp_server_refuse_token_use(s);
                break;
            }
            if (xmpp_server_event_fast_invalidate(s)) {
                m->token[0] = m->new_token[0] = '\0';
                xmpp_server_accept_token_use(s, false);
                break;
            }
            if (is_new) {
                snprintf(m->token, sizeof m->token, "%s", m->new_token);
                m->expiry = m->new_expiry;
                m->new_token[0] = '\0';
            }
            m->processed = count;
            m->has_processed = has_count;
            xmpp_server_accept_token_use(s, m->rotate != 0);
            break;
        }
        case XMPP_SERVER_EVENT_AUTH_FAILED:
            m->auth_failed++;
            snprintf(m->auth_failed_condition, sizeof m->auth_failed_condition,
                     "%.*s", (int)t.len, t.ptr ? t.ptr : "");
            break;
        case XMPP_SERVER_EVENT_BIND_REQUEST:
            if (t.ptr == NULL) {
                t = xmpp_server_event_detail(s);
            }
            xmpp_server_accept_bind(s, t.ptr, t.len);
            break;
        case XMPP_SERVER_EVENT_BOUND:
            m->s_bound = 1;
            m->s_resumed = xmpp_server_event_flag(s);
            break;
        case XMPP_SERVER_EVENT_RESUME_REQUEST:
            if (m->kept != NULL) {
                xmpp_str id = xmpp_resumption_id(m->kept);
                CHECK(t.len == id.len && memcmp(t.ptr, id.ptr, t.len) == 0,
                      "previd is the kept SM-ID");
                CHECK(xmpp_server_accept_resume(s, m->kept) == XMPP_OK,
                      "accept_resume");
                /* A session resumes once. */
                xmpp_resumption_free(m->kept);
                m->kept = NULL;
            } else {
                xmpp_server_reject_resume(s);
            }
            break;
        case XMPP_SERVER_EVENT_TOKEN_REQUEST: {
            /* A new token always goes into the `new` slot; the `current`
             * one stays valid until the new one is used (XEP-0484 §5.1). */
            char fresh[64];
            m->token_requests++;
            CHECK(str_eq(xmpp_server_event_detail(s), "HT-SHA-256-NONE"),
                  "token for HT-SHA-256-NONE");
            snprintf(fresh, sizeof fresh, "%s-%d", issued, m->issued_count++);
            snprintf(m->new_token, sizeof m->new_token, "%s", fresh);
            m->has_new_processed = 0;
            m->new_expiry = m->unix_now + 30 * 86400;
            CHECK(xmpp_server_issue_token(s, fresh, strlen(fresh),
                                          "2030-01-01T00:00:00Z",
                                          20) == XMPP_OK,
                  "issue_token");
            break;
        }
        case XMPP_SERVER_EVENT_STANZA:
            note_body(s_got, &ns_got, xmpp_server_event_body(s));
            break;
        case XMPP_SERVER_EVENT_ACKED: {
            size_t i;
            for (i = 0; i < xmpp_server_event_count(s); i++) {
                xmpp_str x = xmpp_server_event_stanza(s, i);
                CHECK(x.len > 8 && memcmp(x.ptr, "<message", 8) == 0,
                      "acked stanza %zu readable", i);
            }
            m->s_acked += xmpp_server_event_count(s);
            break;
        }
        case XMPP_SERVER_EVENT_CLOSED:
            m->s_closed = 1;
            m->s_closed_resumable = xmpp_server_event_flag(s);
            break;
        default:
            break;
        }
    }
}

static void mem_client_events(struct mem *m)
{
    xmpp_client_event ce;
    xmpp_client *c = m->c;
    while (xmpp_client_poll_event(c, &ce) == XMPP_OK &&
           ce != XMPP_CLIENT_EVENT_NONE) {
        switch (ce) {
        case XMPP_CLIENT_EVENT_AUTHENTICATED:
            copy_str(m->mechanism, sizeof m->mechanism,
                     xmpp_client_event_text(c));
            copy_str(m->binding, sizeof m->binding,
                     xmpp_client_event_detail(c));
            break;
        case XMPP_CLIENT_EVENT_BOUND:
            copy_str(m->bound, sizeof m->bound, xmpp_client_event_text(c));
            break;
        case XMPP_CLIENT_EVENT_RESUMED:
            copy_str(m->bound, sizeof m->bound, xmpp_client_event_text(c));
            m->resumed = 1;
            m->resent = xmpp_client_event_count(c);
            break;
        case XMPP_CLIENT_EVENT_RESUME_FAILED:
            m->resume_failed = 1;
            break;
        case XMPP_CLIENT_EVENT_SM_ENABLED:
            m->sm_resumable = xmpp_client_event_flag(c);
            break;
        case XMPP_CLIENT_EVENT_TOKEN_ISSUED:
            copy_str(m->issued_mech, sizeof m->issued_mech,
                     xmpp_client_event_text(c));
            copy_str(m->issued_token, sizeof m->issued_token,
                     xmpp_client_event_token(c));
            copy_str(m->issued_expiry, sizeof m->issued_expiry,
                     xmpp_client_event_detail(c));
            break;
        case XMPP_CLIENT_EVENT_TOKEN_REJECTED:
            m->token_rejected = 1;
            break;
        case XMPP_CLIENT_EVENT_STANZA:
            note_body(c_got, &nc_got, xmpp_client_event_body(c));
            break;
        case XMPP_CLIENT_EVENT_ACKED:
            if (m->c_acked == 0) {
                copy_str(m->c_acked_first, sizeof m->c_acked_first,
                         xmpp_client_event_stanza(c, 0));
            }
            CHECK(xmpp_client_event_stanza(c, xmpp_client_event_count(c))
                          .ptr == NULL,
                  "no stanza past the count");
            m->c_acked += xmpp_client_event_count(c);
            break;
        case XMPP_CLIENT_EVENT_CLOSED:
            m->c_closed = 1;
            m->c_closed_resumable = xmpp_client_event_flag(c);
            break;
        default:
            break;
        }
    }
}

/* Rounds of: the wire both ways (dropped while the wire is cut), then
 * both sides' events. */
static void mem_run(struct mem *m, int rounds)
{
    int r;
    for (r = 0; r < rounds; r++) {
        xmpp_bytes out;
        xmpp_status st;
        while (xmpp_client_poll_transmit(m->c, &out) == XMPP_OK && out.ptr) {
            m->sasl2 += contains(out, "<authenticate xmlns='urn:xmpp:sasl:2'");
            if (m->wire_up && m->s_error == XMPP_OK) {
                st = xmpp_server_handle_input(m->s, out.ptr, out.len);
                if (st != XMPP_OK) {
                    m->s_error = st;
                }
            }
        }
        while (xmpp_server_poll_transmit(m->s, &out) == XMPP_OK && out.ptr) {
            if (m->wire_up && m->c_error == XMPP_OK) {
                st = xmpp_client_handle_input(m->c, out.ptr, out.len);
                if (st != XMPP_OK) {
                    m->c_error = st;
                }
            }
        }
        mem_server_events(m);
        mem_client_events(m);
    }
}

/* A new pair: the client from `cc`, the server from `sc` (or as
 * xmpp_server_new makes it); the ledgers and the server application's
 * state are kept. */
static void mem_start(struct mem *m, const xmpp_client_config *cc,
                      const xmpp_server_config *sc)
{
    static const uint8_t secret[32] = "the secret of the in-memory pair";
    uint8_t cseed[32];
    uint8_t sseed[32];
    memset(cseed, 3 + (int)(m->now / 1000), sizeof cseed);
    memset(sseed, 4 + (int)(m->now / 1000), sizeof sseed);
    m->wire_up = 1;
    m->bound[0] = m->mechanism[0] = m->binding[0] = '\0';
    m->issued_mech[0] = m->issued_token[0] = m->issued_expiry[0] = '\0';
    m->resumed = m->resume_failed = m->token_rejected = 0;
    m->sm_resumable = m->c_closed = m->c_closed_resumable = 0;
    m->s_bound = m->s_resumed = m->s_closed = m->s_closed_resumable = 0;
    m->token_requests = m->fast_requests = m->sasl2 = m->auth_failed = 0;
    m->auth_failed_condition[0] = '\0';
    m->client_id[0] = m->client_software[0] = m->client_device[0] = '\0';
    m->resent = m->c_acked = m->s_acked = 0;
    m->c_acked_first[0] = '\0';
    m->c_error = m->s_error = XMPP_OK;
    m->c = NULL;
    m->s = NULL;
    CHECK(xmpp_client_new_with_config(cc, cseed, m->now, &m->c) == XMPP_OK,
          "client_new_with_config");
    if (sc != NULL) {
        CHECK(xmpp_server_new_with_config(sc, sseed, m->now, &m->s) ==
                  XMPP_OK,
              "server_new_with_config");
    } else {
        CHECK(xmpp_server_new("example.com", 11, secret, sizeof secret, sseed,
                              m->now, XMPP_TLS_POLICY_OFF, XMPP_TRANSPORT_TCP,
                              &m->s) == XMPP_OK,
              "server_new");
    }
}

static void mem_stop(struct mem *m)
{
    xmpp_client_free(m->c);
    xmpp_server_free(m->s);
    m->c = NULL;
    m->s = NULL;
}

static xmpp_status send_body(xmpp_client *c, const char *body)
{
    return xmpp_client_send_message(c, "romeo@example.net", 17, body,
                                    strlen(body));
}

static xmpp_status server_send_body(xmpp_server *s, const char *to,
                                    const char *body)
{
    char xml[512];
    int n = snprintf(xml, sizeof xml,
                     "<message xmlns='jabber:client' "
                     "from='romeo@example.net/orchard' to='%s' "
                     "type='chat'><body>%s</body></message>",
                     to, body);
    return xmpp_server_send_xml(s, (const uint8_t *)xml, (size_t)n);
}

/* XEP-0198: a session cut mid-flight and resumed by a new client and
 * server pair; every stanza is delivered exactly once. */
static void test_resumption(void)
{
    struct mem m;
    xmpp_client_config *cc = NULL;
    xmpp_resumption *taken = NULL;
    xmpp_resumption *state = NULL;
    char json[4096];
    char first_jid[256];
    xmpp_str j;
    const char *bodies[] = {"c2s-1", "c2s-2", "c2s-3", "c2s-4",
                            "s2c-1", "s2c-2", "s2c-3"};
    size_t i;

    memset(&m, 0, sizeof m);
    nc_got = ns_got = 0;
    CHECK(xmpp_client_config_new("juliet@example.com", 18, "r0m30", 5,
                                 XMPP_TLS_POLICY_OFF, XMPP_TRANSPORT_TCP,
                                 &cc) == XMPP_OK,
          "client_config_new");
    CHECK(xmpp_client_config_set_resource(cc, "balcony", 7) == XMPP_OK,
          "set_resource");
    mem_start(&m, cc, NULL);
    if (m.c == NULL || m.s == NULL) {
        mem_stop(&m);
        xmpp_client_config_free(cc);
        return;
    }
    mem_run(&m, 20);
    /* With Bind2 the resource is a tag the server extends (XEP-0386
     * §4). */
    CHECK(strncmp(m.bound, "juliet@example.com/balcony", 26) == 0,
          "bound the asked resource: %s", m.bound);
    snprintf(first_jid, sizeof first_jid, "%s", m.bound);
    CHECK(m.sm_resumable, "XEP-0198 on, resumable");

    /* Two stanzas each way, delivered, then acknowledged when the ack
     * timers (5 s) run. */
    CHECK(send_body(m.c, "c2s-1") == XMPP_OK, "send c2s-1");
    CHECK(send_body(m.c, "c2s-2") == XMPP_OK, "send c2s-2");
    CHECK(server_send_body(m.s, m.bound, "s2c-1") == XMPP_OK, "send s2c-1");
    mem_run(&m, 5);
    m.now = 6000;
    xmpp_client_handle_timeout(m.c, m.now);
    xmpp_server_handle_timeout(m.s, m.now);
    mem_run(&m, 5);
    CHECK(m.c_acked == 2, "the server acknowledged %zu", m.c_acked);
    CHECK(strstr(m.c_acked_first, "<body>c2s-1</body>") != NULL,
          "the acked stanza's XML: %s", m.c_acked_first);
    CHECK(m.s_acked == 1, "the client acknowledged %zu", m.s_acked);

    /* One more each way delivered but not acknowledged, then the wire
     * is cut with one each way in flight. */
    send_body(m.c, "c2s-3");
    server_send_body(m.s, m.bound, "s2c-2");
    mem_run(&m, 5);
    m.wire_up = 0;
    send_body(m.c, "c2s-4");
    server_send_body(m.s, m.bound, "s2c-3");
    mem_run(&m, 5);
    xmpp_client_connection_lost(m.c);
    xmpp_server_connection_lost(m.s);
    mem_run(&m, 1);
    CHECK(m.c_closed && m.c_closed_resumable, "client closed, resumable");
    CHECK(m.s_closed && m.s_closed_resumable, "server closed, resumable");

    /* The client's state goes through JSON (as an application stores
     * it); the server keeps its own. */
    CHECK(xmpp_client_take_resumption(m.c, &taken) == XMPP_OK &&
              taken != NULL,
          "client take_resumption");
    CHECK(xmpp_server_take_resumption(m.s, &m.kept) == XMPP_OK &&
              m.kept != NULL,
          "server take_resumption");
    if (taken == NULL || m.kept == NULL) {
        xmpp_resumption_free(taken);
        mem_stop(&m);
        xmpp_resumption_free(m.kept);
        xmpp_client_config_free(cc);
        return;
    }
    CHECK(xmpp_client_take_resumption(m.c, &state) == XMPP_OK &&
              state == NULL,
          "taken once");
    CHECK(str_eq(xmpp_resumption_jid(taken), first_jid), "state jid");
    CHECK(xmpp_resumption_handled(taken) == 2, "client handled %u",
          (unsigned)xmpp_resumption_handled(taken));
    CHECK(xmpp_resumption_unacked_count(taken) == 2,
          "client unacked %zu", xmpp_resumption_unacked_count(taken));
    CHECK(xmpp_resumption_unacked_count(m.kept) == 2,
          "server unacked %zu", xmpp_resumption_unacked_count(m.kept));
    {
        xmpp_str x = xmpp_resumption_unacked_stanza(m.kept, 1);
        CHECK(x.ptr != NULL && strstr(x.ptr, "s2c-3") != NULL,
              "the server's unacked stanzas readable");
    }
    j = xmpp_resumption_json(taken);
    CHECK(j.ptr != NULL && j.len < sizeof json, "json");
    copy_str(json, sizeof json, j);
    xmpp_resumption_free(taken);
    CHECK(xmpp_resumption_from_json(json, strlen(json), &state) == XMPP_OK,
          "from_json");
    CHECK(xmpp_resumption_from_json("{\"id\":1}", 8, &taken) ==
              XMPP_INVALID_INPUT,
          "bad json refused");
    CHECK(xmpp_resumption_from_json(json, strlen(json), NULL) ==
              XMPP_INVALID_ARGUMENT,
          "null out");
    {
        xmpp_str a = xmpp_resumption_id(state);
        xmpp_str b = xmpp_resumption_id(m.kept);
        CHECK(a.len > 0 && a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0,
              "both sides keep the same SM-ID");
    }
    mem_stop(&m);

    /* A new connection: a new client resumes with the state. */
    CHECK(xmpp_client_config_set_resume(cc, state) == XMPP_OK, "set_resume");
    xmpp_resumption_free(state);
    m.now = 10000;
    mem_start(&m, cc, NULL);
    mem_run(&m, 20);
    CHECK(m.resumed && !m.resume_failed, "resumed");
    CHECK(m.s_bound && m.s_resumed, "the server resumed");
    CHECK(strcmp(m.bound, first_jid) == 0, "the same JID: %s", m.bound);
    CHECK(m.kept == NULL, "the kept session was used");
    for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        int n = bodies[i][0] == 'c' ? count_body(s_got, ns_got, bodies[i])
                                    : count_body(c_got, nc_got, bodies[i]);
        CHECK(n == 1, "%s delivered %d times", bodies[i], n);
    }
    CHECK(xmpp_client_close(m.c) == XMPP_OK, "close");
    mem_run(&m, 5);
    CHECK(m.c_closed && !m.c_closed_resumable, "a clean close ends it");
    CHECK(xmpp_server_accept_resume(m.s, NULL) == XMPP_INVALID_ARGUMENT,
          "null state");
    mem_stop(&m);
    xmpp_client_config_free(cc);
}

/* XEP-0484: a token asked for with the password, then used alone; the
 * same count again is a replay. */
static void test_fast(void)
{
    static const uint8_t secret[32] = "the secret of the in-memory pair";
    static const char agent_id[] = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
    struct mem m;
    xmpp_client_config *cc = NULL;
    xmpp_client_config *fc = NULL;
    xmpp_server_config *sc = NULL;
    char token[64];
    char mech[64];

    memset(&m, 0, sizeof m);
    CHECK(xmpp_server_config_new("example.com", 11, secret, sizeof secret,
                                 XMPP_TLS_POLICY_OFF, XMPP_TRANSPORT_TCP,
                                 &sc) == XMPP_OK,
          "server_config_new");
    CHECK(xmpp_server_config_set_fast(sc, true) == XMPP_OK, "set_fast");
    CHECK(xmpp_client_config_new("juliet@example.com", 18, "r0m30", 5,
                                 XMPP_TLS_POLICY_OFF, XMPP_TRANSPORT_TCP,
                                 &cc) == XMPP_OK,
          "client_config_new");
    /* Without an installation id, no FAST (XEP-0484 §4.1). */
    mem_start(&m, cc, sc);
    mem_run(&m, 20);
    CHECK(m.bound[0] != '\0' && m.token_requests == 0,
          "no token asked for without a user agent id");
    CHECK(m.client_id[0] == '\0', "no user agent: %s", m.client_id);
    mem_stop(&m);
    CHECK(xmpp_client_config_set_user_agent(cc, NULL, 0, "ctest", 5, NULL,
                                            0) == XMPP_OK,
          "set_user_agent without an id");
    mem_start(&m, cc, sc);
    mem_run(&m, 20);
    CHECK(m.bound[0] != '\0' && m.token_requests == 0,
          "no token asked for without an id");
    CHECK(m.client_id[0] == '\0' && strcmp(m.client_software, "ctest") == 0,
          "the software alone: %s", m.client_software);
    mem_stop(&m);
    CHECK(xmpp_client_config_set_user_agent(cc, agent_id, strlen(agent_id),
                                            "ctest", 5, "valgrind",
                                            8) == XMPP_OK,
          "set_user_agent");
    CHECK(xmpp_client_config_set_user_agent(cc, "\xff", 1, NULL, 0, NULL,
                                            0) == XMPP_INVALID_UTF8,
          "a user agent id that is not UTF-8");
    mem_start(&m, cc, sc);
    if (m.c == NULL || m.s == NULL) {
        mem_stop(&m);
        xmpp_client_config_free(cc);
        xmpp_server_config_free(sc);
        return;
    }
    mem_run(&m, 20);
    CHECK(m.bound[0] != '\0', "bound with the password");
    CHECK(strcmp(m.client_id, agent_id) == 0 &&
              strcmp(m.client_software, "ctest") == 0 &&
              strcmp(m.client_device, "valgrind") == 0,
          "the server saw the user agent: %s %s %s", m.client_id,
          m.client_software, m.client_device);
    CHECK(m.token_requests == 1, "one token asked for");
    CHECK(strcmp(m.issued_mech, "HT-SHA-256-NONE") == 0, "issued for %s",
          m.issued_mech);
    CHECK(strcmp(m.issued_token, m.new_token) == 0 && m.token[0] == '\0',
          "the token the server issued, in the new slot");
    CHECK(strcmp(m.issued_expiry, "2030-01-01T00:00:00Z") == 0, "expiry %s",
          m.issued_expiry);
    snprintf(token, sizeof token, "%s", m.issued_token);
    snprintf(mech, sizeof mech, "%s", m.issued_mech);
    mem_stop(&m);

    /* The token alone, count 1. */
    CHECK(xmpp_client_config_new("juliet@example.com", 18, NULL, 0,
                                 XMPP_TLS_POLICY_OFF, XMPP_TRANSPORT_TCP,
                                 &fc) == XMPP_OK,
          "client_config_new without a password");
    CHECK(xmpp_client_config_set_user_agent(fc, agent_id, strlen(agent_id),
                                            NULL, 0, NULL, 0) == XMPP_OK,
          "set_user_agent");
    CHECK(xmpp_client_config_set_fast_token(fc, mech, strlen(mech), token,
                                            strlen(token), 1) == XMPP_OK,
          "set_fast_token");
    CHECK(xmpp_client_config_set_fast_token(fc, "SCRAM-SHA-256", 13, token,
                                            strlen(token), 1) ==
              XMPP_INVALID_INPUT,
          "a token for a non-HT mechanism");
    m.now = 20000;
    mem_start(&m, fc, sc);
    mem_run(&m, 20);
    CHECK(m.c_error == XMPP_OK, "FAST login: %s", xmpp_status_name(m.c_error));
    CHECK(strcmp(m.mechanism, "HT-SHA-256-NONE") == 0, "authenticated with %s",
          m.mechanism);
    CHECK(m.bound[0] != '\0', "bound with the token");
    CHECK(m.fast_requests == 1 && m.has_processed && m.processed == 1,
          "the server saw count 1");
    CHECK(strcmp(m.token, token) == 0 && m.new_token[0] == '\0',
          "the used token moved to the current slot");
    mem_stop(&m);

    /* Someone with the username only: a wrong token and the largest
     * count. Refused, and the owner's count is untouched. */
    CHECK(xmpp_client_config_set_fast_token(fc, mech, strlen(mech),
                                            "not-the-token", 13,
                                            UINT64_MAX) == XMPP_OK,
          "set_fast_token forged");
    m.now = 25000;
    mem_start(&m, fc, sc);
    mem_run(&m, 20);
    CHECK(m.bound[0] == '\0', "not bound with a forged token");
    CHECK(m.has_processed && m.processed == 1,
          "a forged count is not recorded");
    CHECK(m.auth_failed >= 1 &&
              strcmp(m.auth_failed_condition, "not-authorized") == 0,
          "the failure reported: %d %s", m.auth_failed,
          m.auth_failed_condition);
    mem_stop(&m);
    CHECK(xmpp_client_config_set_fast_token(fc, mech, strlen(mech), token,
                                            strlen(token), 1) == XMPP_OK,
          "set_fast_token 1 again");

    /* The same count again: a replay, refused. */
    m.now = 30000;
    mem_start(&m, fc, sc);
    mem_run(&m, 20);
    CHECK(m.token_rejected, "replayed count refused");
    CHECK(m.bound[0] == '\0', "not bound on a replay");
    CHECK(m.c_error == XMPP_NO_MECHANISM || m.c_error == XMPP_SASL_NOT_AUTHORIZED,
          "replay: %s", xmpp_status_name(m.c_error));
    mem_stop(&m);

    /* The next count is fine. */
    CHECK(xmpp_client_config_set_fast_token(fc, mech, strlen(mech), token,
                                            strlen(token), 2) == XMPP_OK,
          "set_fast_token 2");
    m.now = 40000;
    mem_start(&m, fc, sc);
    mem_run(&m, 20);
    CHECK(m.bound[0] != '\0' && m.processed == 2, "count 2 accepted");
    mem_stop(&m);

    /* Count 3, proven, but another connection recorded it first: the
     * application refuses this use, and the client is never told of
     * success. */
    CHECK(xmpp_client_config_set_fast_token(fc, mech, strlen(mech), token,
                                            strlen(token), 3) == XMPP_OK,
          "set_fast_token 3 raced");
    m.used_meanwhile = 1;
    m.now = 45000;
    mem_start(&m, fc, sc);
    mem_run(&m, 20);
    CHECK(m.bound[0] == '\0' && m.mechanism[0] == '\0',
          "a use recorded meanwhile is refused: %s", m.mechanism);
    CHECK(m.auth_failed >= 1, "the refusal reported as a failure");
    m.used_meanwhile = 0;
    mem_stop(&m);

    /* Rotation (XEP-0484 §3.5): count 4 is accepted with a new token the
     * client did not ask for, which goes into the new slot; the old token
     * stays valid until the new one is used (§5.1). */
    CHECK(xmpp_client_config_set_fast_token(fc, mech, strlen(mech), token,
                                            strlen(token), 4) == XMPP_OK,
          "set_fast_token 4");
    CHECK(xmpp_client_config_set_request_fast_token(fc, false) == XMPP_OK,
          "no token asked for");
    m.rotate = 1;
    m.now = 47000;
    mem_start(&m, fc, sc);
    mem_run(&m, 20);
    m.rotate = 0;
    CHECK(m.bound[0] != '\0' && m.token_requests == 1, "rotated on use");
    CHECK(m.issued_token[0] != '\0' && strcmp(m.issued_token, token) != 0 &&
              strcmp(m.issued_token, m.new_token) == 0,
          "the client got the new token: %s", m.issued_token);
    {
        char rotated[64];
        snprintf(rotated, sizeof rotated, "%s", m.issued_token);
        mem_stop(&m);
        /* The old token still logs in (the client may have missed the
         * new one)... */
        CHECK(xmpp_client_config_set_fast_token(fc, mech, strlen(mech), token,
                                                strlen(token), 5) == XMPP_OK,
              "set_fast_token 5");
        m.now = 48000;
        mem_start(&m, fc, sc);
        mem_run(&m, 20);
        CHECK(m.bound[0] != '\0' && strcmp(m.new_token, rotated) == 0,
              "the current token, the new one kept");
        mem_stop(&m);
        /* ...until the new one is used: then it is gone. */
        CHECK(xmpp_client_config_set_fast_token(fc, mech, strlen(mech),
                                                rotated, strlen(rotated),
                                                1) == XMPP_OK,
              "set_fast_token rotated");
        m.now = 49000;
        mem_start(&m, fc, sc);
        mem_run(&m, 20);
        CHECK(m.bound[0] != '\0' && strcmp(m.token, rotated) == 0 &&
                  m.new_token[0] == '\0' && m.processed == 1,
              "the new token is now the current one");
        mem_stop(&m);
        CHECK(xmpp_client_config_set_fast_token(fc, mech, strlen(mech), token,
                                                strlen(token), 6) == XMPP_OK,
              "set_fast_token 6");
        m.now = 49500;
        mem_start(&m, fc, sc);
        mem_run(&m, 20);
        CHECK(m.bound[0] == '\0' && m.token_rejected,
              "the replaced token no longer logs in");
        mem_stop(&m);

        /* Past its expiry the token is refused: credentials-expired. */
        CHECK(xmpp_client_config_set_fast_token(fc, mech, strlen(mech),
                                                rotated, strlen(rotated),
                                                2) == XMPP_OK,
              "set_fast_token rotated 2");
        m.unix_now = m.expiry;
        m.now = 50000;
        mem_start(&m, fc, sc);
        mem_run(&m, 20);
        CHECK(m.bound[0] == '\0' && m.token_rejected, "an expired token");
        CHECK(m.processed == 1, "nothing recorded for an expired token");
        mem_stop(&m);
    }

    xmpp_client_config_free(cc);
    xmpp_client_config_free(fc);
    xmpp_server_config_free(sc);
}

/* SASL2 off, the allowed mechanisms, and arguments refused. */
static void test_client_options(void)
{
    struct mem m;
    xmpp_client_config *cc = NULL;

    memset(&m, 0, sizeof m);
    CHECK(xmpp_client_config_new("juliet@example.com", 18, "r0m30", 5,
                                 XMPP_TLS_POLICY_OFF, XMPP_TRANSPORT_TCP,
                                 &cc) == XMPP_OK,
          "client_config_new");
    CHECK(xmpp_client_config_set_sasl2(cc, false) == XMPP_OK, "set_sasl2");
    CHECK(xmpp_client_config_set_mechanisms(cc, "SCRAM-SHA-1 SCRAM-SHA-256",
                                            25) == XMPP_OK,
          "set_mechanisms");
    CHECK(xmpp_client_config_set_fallback_unbound(cc, false) == XMPP_OK,
          "set_fallback_unbound");
    CHECK(xmpp_client_config_set_request_fast_token(cc, false) == XMPP_OK,
          "set_request_fast_token");
    mem_start(&m, cc, NULL);
    mem_run(&m, 20);
    CHECK(m.bound[0] != '\0', "bound without SASL2");
    CHECK(m.sasl2 == 0, "no SASL2 <authenticate/> sent");
    CHECK(strcmp(m.mechanism, "SCRAM-SHA-256") == 0, "mechanism %s",
          m.mechanism);
    CHECK(m.binding[0] == '\0', "no channel binding without TLS");
    mem_stop(&m);

    /* PLAIN alone: the server offers it only under TLS. */
    CHECK(xmpp_client_config_set_mechanisms(cc, "PLAIN", 5) == XMPP_OK,
          "PLAIN only");
    mem_start(&m, cc, NULL);
    mem_run(&m, 20);
    CHECK(m.c_error == XMPP_NO_MECHANISM && m.bound[0] == '\0',
          "no mechanism in common: %s", xmpp_status_name(m.c_error));
    mem_stop(&m);

    CHECK(xmpp_client_config_set_mechanisms(cc, "SCRAM-SHA-256 CRAM-MD5",
                                            22) == XMPP_INVALID_INPUT,
          "an unknown mechanism");
    CHECK(xmpp_client_config_set_resource(cc, "\x7f", 1) ==
              XMPP_STANZA_JID_MALFORMED,
          "a control character in the resource");
    CHECK(xmpp_client_config_set_resource(cc, NULL, 0) == XMPP_OK,
          "the server picks again");
    CHECK(xmpp_client_config_set_sasl2(NULL, true) == XMPP_INVALID_ARGUMENT,
          "null config");
    CHECK(xmpp_client_new_with_config(NULL, NULL, 0, NULL) ==
              XMPP_INVALID_ARGUMENT,
          "null everything");
    CHECK(xmpp_client_take_resumption(NULL, NULL) == XMPP_INVALID_ARGUMENT,
          "null take");
    CHECK(xmpp_resumption_json(NULL).ptr == NULL, "null state json");
    xmpp_client_config_free(cc);
    xmpp_client_config_free(NULL);
    xmpp_server_config_free(NULL);
    xmpp_resumption_free(NULL);
}

/* ---- 7. STARTTLS with OpenSSL, SCRAM-SHA-256-PLUS over tls-exporter ----- */

/* The TLS layer of a peer, run by the driver as the machine asks
 * (START_TLS): a blocking handshake on the socket, then the binding data
 * RFC 9266 defines, exported from the session and given to the machine. */
static int start_tls(struct peer *p, int bad_binding)
{
    uint8_t cb[32];
    xmpp_tls_version version;
    xmpp_status st;
    p->ssl = SSL_new(p->tls);
    if (p->ssl == NULL || SSL_set_fd(p->ssl, p->fd) != 1 ||
        SSL_connect(p->ssl) != 1) {
        return 0;
    }
    /* RFC 9266 §2: label "EXPORTER-Channel-Binding", no context, 32
     * bytes. */
    if (SSL_export_keying_material(p->ssl, cb, sizeof cb,
                                   "EXPORTER-Channel-Binding", 24, NULL, 0,
                                   0) != 1) {
        return 0;
    }
    if (bad_binding) {
        cb[0] ^= 1; /* what a man in the middle's own session would give */
    }
    version = SSL_version(p->ssl) == TLS1_3_VERSION ? XMPP_TLS_VERSION_1_3
                                                    : XMPP_TLS_VERSION_1_2;
    st = xmpp_client_tls_established(p->client, version,
                                     XMPP_CHANNEL_BINDING_TLS_EXPORTER, cb,
                                     sizeof cb);
    p->tls_version = version;
    return st == XMPP_OK;
}

/* Logs in over STARTTLS with `mechanisms` allowed; `bad_binding` gives
 * the machine binding data that is not this channel's; `refuse_plain`
 * sets the client's refuse_plain. */
static void tls_login(struct peer *p, SSL_CTX *ctx, const char *address,
                      const char *domain, const char *user,
                      const char *password, const char *mechanisms,
                      int bad_binding, int refuse_plain)
{
    char jid[256];
    uint8_t seed[32];
    xmpp_client_config *cc = NULL;
    FILE *rnd = fopen("/dev/urandom", "rb");
    int i;
    memset(p, 0, sizeof *p);
    p->tls = ctx;
    p->bad_binding = bad_binding;
    CHECK(rnd != NULL && fread(seed, 1, sizeof seed, rnd) == sizeof seed,
          "read /dev/urandom");
    if (rnd != NULL) {
        fclose(rnd);
    }
    snprintf(jid, sizeof jid, "%s@%s", user, domain);
    p->fd = tcp_connect(address);
    CHECK(p->fd >= 0, "connect to %s", address);
    CHECK(xmpp_client_config_new(jid, strlen(jid), password, strlen(password),
                                 XMPP_TLS_POLICY_REQUIRED, XMPP_TRANSPORT_TCP,
                                 &cc) == XMPP_OK,
          "client_config_new");
    CHECK(xmpp_client_config_set_mechanisms(cc, mechanisms,
                                            strlen(mechanisms)) == XMPP_OK,
          "set_mechanisms");
    CHECK(xmpp_client_config_set_refuse_plain(cc, refuse_plain != 0) ==
              XMPP_OK,
          "set_refuse_plain");
    CHECK(xmpp_client_new_with_config(cc, seed, now_ms(), &p->client) ==
              XMPP_OK,
          "client_new_with_config");
    xmpp_client_config_free(cc);
    if (p->fd < 0 || p->client == NULL) {
        p->error = XMPP_CONNECTION_LOST;
        return;
    }
    for (i = 0; i < 500 && !p->bound && !p->closed && p->error == XMPP_OK;
         i++) {
        pump(p, 100);
    }
}

static void test_tls(const char *address, const char *domain,
                     const char *user, const char *password)
{
    struct peer a;
    struct peer bad;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    int i;
    CHECK(ctx != NULL, "SSL_CTX_new");
    if (ctx == NULL) {
        return;
    }
    /* `xmpp serve` presents a self-signed certificate: it is not
     * checked here. The -PLUS exchange is what shows that no one sits in
     * between: the server checks that the client's binding data is its
     * own channel's (the wrong-binding login below). */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* SSL_read returns after a record without data (a TLS 1.3 ticket)
     * instead of blocking for the next: the loop then polls again. */
    SSL_CTX_clear_mode(ctx, SSL_MODE_AUTO_RETRY);

    /* Only the bound mechanism: a server that did not bind would fail
     * the login instead of downgrading it. */
    tls_login(&a, ctx, address, domain, user, password, "SCRAM-SHA-256-PLUS",
              0, 0);
    CHECK(a.bound, "%s bound over TLS (status %s)", user,
          xmpp_status_name(a.error));
    CHECK(a.tls_version == XMPP_TLS_VERSION_1_3, "TLS 1.3");
    CHECK(strcmp(a.mechanism, "SCRAM-SHA-256-PLUS") == 0, "mechanism %s",
          a.mechanism);
    CHECK(strcmp(a.binding, "tls-exporter") == 0, "binding %s", a.binding);
    if (a.bound) {
        /* A message to itself, through the server, inside TLS. */
        CHECK(xmpp_client_send_message(a.client, a.jid, strlen(a.jid),
                                       "over TLS", 8) == XMPP_OK,
              "send over TLS");
        for (i = 0; i < 100 && a.got_body[0] == '\0' && a.error == XMPP_OK;
             i++) {
            pump(&a, 100);
        }
        CHECK(strcmp(a.got_body, "over TLS") == 0, "got %s", a.got_body);
    }
    logout(&a);

    /* Binding data that is not this channel's: the server refuses. */
    tls_login(&bad, ctx, address, domain, user, password,
              "SCRAM-SHA-256-PLUS", 1, 0);
    CHECK(!bad.bound && bad.error == XMPP_SASL_NOT_AUTHORIZED,
          "a wrong binding: %s", xmpp_status_name(bad.error));
    logout(&bad);

    /* PLAIN under TLS goes by default; refuse_plain keeps the password
     * in, even when PLAIN is the only mechanism allowed. */
    tls_login(&a, ctx, address, domain, user, password, "PLAIN", 0, 0);
    CHECK(a.bound && strcmp(a.mechanism, "PLAIN") == 0,
          "PLAIN under TLS: %s %s", a.mechanism, xmpp_status_name(a.error));
    logout(&a);
    tls_login(&a, ctx, address, domain, user, password, "PLAIN", 0, 1);
    CHECK(!a.bound && a.error == XMPP_NO_MECHANISM,
          "refuse_plain: %s", xmpp_status_name(a.error));
    logout(&a);
    SSL_CTX_free(ctx);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr,
                "usage: %s TESTDATA_JID_DIR [C2S DOMAIN USER PASS USER PASS "
                "[TLS_C2S]]\n",
                argv[0]);
        return 2;
    }
    CHECK(xmpp_abi_version() == XMPP_ABI_VERSION, "ABI version %u",
          (unsigned)xmpp_abi_version());
    CHECK(xmpp_version() != NULL && xmpp_version()[0] != '\0', "version");
    CHECK(strcmp(xmpp_status_name(12345), "unknown") == 0, "unknown status");
    test_framer();
    test_jids(argv[1]);
    test_sasl();
    test_pair();
    test_resumption();
    test_fast();
    test_client_options();
    if (argc >= 8) {
        test_session(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]);
    }
    if (argc >= 9) {
        test_tls(argv[8], argv[3], argv[4], argv[5]);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
