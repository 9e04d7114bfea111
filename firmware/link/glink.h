/* Co-processor link frame codec: COBS framing, CRC-16/CCITT-FALSE, 16-bit sequence numbers.
 * Reference implementation of docs/coprocessor-link.md for the MCU firmware (C99, no allocation).
 * Frame on the wire: COBS(type u8 | seq u16 LE | length u8 | payload | crc16 LE) followed by 0x00. */
#ifndef GLINK_H
#define GLINK_H

#include <stddef.h>
#include <stdint.h>

#define GLINK_HEADER 4u
#define GLINK_CRC 2u
#define GLINK_MAX_PAYLOAD 240u
#define GLINK_MAX_BODY (GLINK_HEADER + GLINK_MAX_PAYLOAD + GLINK_CRC)
/* COBS adds one code byte per started run of 254 bytes; plus the 0x00 delimiter. */
#define GLINK_MAX_FRAME (GLINK_MAX_BODY + GLINK_MAX_BODY / 254u + 2u)

enum glink_status {
    GLINK_OK = 0,
    GLINK_ERR_COBS = 1,    /* not a valid COBS block */
    GLINK_ERR_SHORT = 2,   /* fewer bytes than header + crc */
    GLINK_ERR_LENGTH = 3,  /* header length disagrees with the frame */
    GLINK_ERR_CRC = 4,     /* checksum mismatch */
    GLINK_ERR_TOO_LONG = 5 /* payload or frame larger than the limits */
};

uint16_t glink_crc16(const uint8_t *data, size_t len);

/* Encodes one frame, delimiter included, into out (GLINK_MAX_FRAME bytes). Returns its length, 0 on error. */
size_t glink_encode(uint8_t type, uint16_t seq, const uint8_t *payload, size_t len, uint8_t *out);

/* Decodes one frame without its delimiter. payload must hold GLINK_MAX_PAYLOAD bytes. */
enum glink_status glink_decode(const uint8_t *frame, size_t len, uint8_t *type, uint16_t *seq,
                               uint8_t *payload, size_t *payload_len);

#endif
