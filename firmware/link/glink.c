/* Co-processor link frame codec (see glink.h and docs/coprocessor-link.md). */
#include "glink.h"

#include <string.h>

uint16_t glink_crc16(const uint8_t *data, size_t len)
{
    uint16_t crc = 0xFFFFu;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)data[i] << 8;
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
        }
    }
    return crc;
}

static size_t cobs_encode(const uint8_t *in, size_t len, uint8_t *out)
{
    size_t code_at = 0, o = 1;
    uint8_t code = 1;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == 0) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
        } else {
            out[o++] = in[i];
            if (++code == 0xFF) {
                out[code_at] = code;
                code_at = o++;
                code = 1;
            }
        }
    }
    out[code_at] = code;
    return o;
}

static int cobs_decode(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    size_t i = 0, o = 0;
    while (i < len) {
        uint8_t code = in[i++];
        if (code == 0) {
            return -1;
        }
        for (uint8_t k = 1; k < code; k++) {
            if (i >= len || in[i] == 0 || o >= cap) {
                return -1;
            }
            out[o++] = in[i++];
        }
        if (code != 0xFF && i < len) {
            if (o >= cap) {
                return -1;
            }
            out[o++] = 0;
        }
    }
    *out_len = o;
    return 0;
}

size_t glink_encode(uint8_t type, uint16_t seq, const uint8_t *payload, size_t len, uint8_t *out)
{
    uint8_t body[GLINK_MAX_BODY];
    if (len > GLINK_MAX_PAYLOAD) {
        return 0;
    }
    body[0] = type;
    body[1] = (uint8_t)(seq & 0xFFu);
    body[2] = (uint8_t)(seq >> 8);
    body[3] = (uint8_t)len;
    if (len) {
        memcpy(body + GLINK_HEADER, payload, len);
    }
    uint16_t crc = glink_crc16(body, GLINK_HEADER + len);
    body[GLINK_HEADER + len] = (uint8_t)(crc & 0xFFu);
    body[GLINK_HEADER + len + 1] = (uint8_t)(crc >> 8);
    size_t n = cobs_encode(body, GLINK_HEADER + len + GLINK_CRC, out);
    out[n++] = 0;
    return n;
}

enum glink_status glink_decode(const uint8_t *frame, size_t len, uint8_t *type, uint16_t *seq,
                               uint8_t *payload, size_t *payload_len)
{
    uint8_t body[GLINK_MAX_BODY + 1];
    size_t n = 0;
    if (len > GLINK_MAX_FRAME) {
        return GLINK_ERR_TOO_LONG;
    }
    if (cobs_decode(frame, len, body, sizeof body, &n) != 0) {
        return GLINK_ERR_COBS;
    }
    if (n < GLINK_HEADER + GLINK_CRC) {
        return GLINK_ERR_SHORT;
    }
    if (body[3] != n - GLINK_HEADER - GLINK_CRC) {
        return GLINK_ERR_LENGTH;
    }
    uint16_t crc = (uint16_t)(body[n - 2] | (body[n - 1] << 8));
    if (crc != glink_crc16(body, n - GLINK_CRC)) {
        return GLINK_ERR_CRC;
    }
    *type = body[0];
    *seq = (uint16_t)(body[1] | (body[2] << 8));
    *payload_len = n - GLINK_HEADER - GLINK_CRC;
    memcpy(payload, body + GLINK_HEADER, *payload_len);
    return GLINK_OK;
}
