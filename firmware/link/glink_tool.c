/* Line tool around the codec, for the host's cross-check tests:
 *   e <type> <seq> <payload hex or ->   ->  the encoded frame in hex (delimiter included)
 *   d <frame hex without delimiter>      ->  "ok <type> <seq> <payload hex or ->" or "err <status>" */
#include <stdio.h>
#include <string.h>

#include "glink.h"

static size_t from_hex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    if (strcmp(s, "-") == 0) {
        return 0;
    }
    while (s[0] && s[1] && n < cap) {
        unsigned v;
        if (sscanf(s, "%2x", &v) != 1) {
            break;
        }
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

static void put_hex(const uint8_t *b, size_t n)
{
    if (n == 0) {
        fputs("-", stdout);
    }
    for (size_t i = 0; i < n; i++) {
        printf("%02x", b[i]);
    }
}

int main(void)
{
    static char line[4096];
    static char arg[4096];
    while (fgets(line, sizeof line, stdin)) {
        unsigned type, seq;
        uint8_t buf[2048], out[GLINK_MAX_FRAME], payload[GLINK_MAX_PAYLOAD];
        if (line[0] == 'e' && sscanf(line, "e %u %u %4095s", &type, &seq, arg) == 3) {
            size_t n = from_hex(arg, buf, sizeof buf);
            size_t m = glink_encode((uint8_t)type, (uint16_t)seq, buf, n, out);
            if (m == 0) {
                puts("err 5");
            } else {
                put_hex(out, m);
                putchar('\n');
            }
        } else if (line[0] == 'd' && sscanf(line, "d %4095s", arg) == 1) {
            size_t n = from_hex(arg, buf, sizeof buf);
            uint8_t t;
            uint16_t s;
            size_t plen = 0;
            enum glink_status st = glink_decode(buf, n, &t, &s, payload, &plen);
            if (st != GLINK_OK) {
                printf("err %d\n", (int)st);
            } else {
                printf("ok %u %u ", t, s);
                put_hex(payload, plen);
                putchar('\n');
            }
        } else {
            puts("err bad_command");
        }
        fflush(stdout);
    }
    return 0;
}
