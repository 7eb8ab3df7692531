/*
 * kpack: deflates a file with zlib, checks that it inflates back to the same bytes, and prints the sizes and
 * checksums (CRC-32 from zlib, FNV-1a 64 from checksum.cpp). Optionally writes the compressed stream.
 *
 *   kpack [-l LEVEL] [-o OUT] FILE|-
 *   kpack --version
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "checksum.hpp"

#ifndef KPACK_VERSION
#define KPACK_VERSION "0.0.0-dev"
#endif

static void usage(FILE *to) {
    fprintf(to, "usage: kpack [-l LEVEL] [-o OUT] FILE|-\n"
                "       kpack --version\n"
                "Deflates FILE (or standard input) with zlib, verifies the round trip and prints sizes and checksums.\n"
                "  -l LEVEL  compression level 0-9 (default 6)\n"
                "  -o OUT    also write the zlib stream to OUT\n");
}

/* Reads a whole stream into a malloc'd buffer. Returns NULL (errno set) on failure. */
static unsigned char *read_all(FILE *in, size_t *len_out) {
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    if (!buf) return NULL;
    for (;;) {
        if (len == cap) {
            unsigned char *bigger = realloc(buf, cap * 2);
            if (!bigger) { free(buf); return NULL; }
            buf = bigger;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, in);
        len += n;
        if (n == 0) {
            if (ferror(in)) { free(buf); return NULL; }
            break;
        }
    }
    *len_out = len;
    return buf;
}

static int write_file(const char *path, const unsigned char *data, size_t len) {
    FILE *out = fopen(path, "wb");
    if (!out) return -1;
    int ok = fwrite(data, 1, len, out) == len;
    if (fclose(out) != 0) ok = 0;
    return ok ? 0 : -1;
}

int main(int argc, char **argv) {
    int level = Z_DEFAULT_COMPRESSION;
    const char *out_path = NULL, *in_path = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0) {
            printf("kpack %s (zlib %s)\n", KPACK_VERSION, zlibVersion());
            return 0;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "-l") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end != '\0' || v < 0 || v > 9) {
                fprintf(stderr, "kpack: level must be 0-9, got '%s'\n", argv[i]);
                return 2;
            }
            level = (int)v;
        } else if (strcmp(a, "-o") == 0 && i + 1 < argc) {
            out_path = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "kpack: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (in_path) {
            fprintf(stderr, "kpack: only one input file is accepted\n");
            return 2;
        } else {
            in_path = a;
        }
    }
    if (!in_path) {
        usage(stderr);
        return 2;
    }

    FILE *in = strcmp(in_path, "-") == 0 ? stdin : fopen(in_path, "rb");
    if (!in) {
        fprintf(stderr, "kpack: %s: %s\n", in_path, strerror(errno));
        return 1;
    }
    size_t len = 0;
    unsigned char *data = read_all(in, &len);
    if (in != stdin) fclose(in);
    if (!data) {
        fprintf(stderr, "kpack: %s: read failed: %s\n", in_path, strerror(errno));
        return 1;
    }

    uLongf packed_len = compressBound((uLong)len);
    unsigned char *packed = malloc(packed_len ? packed_len : 1);
    int rc = packed ? compress2(packed, &packed_len, data, (uLong)len, level) : Z_MEM_ERROR;
    if (rc != Z_OK) {
        fprintf(stderr, "kpack: deflate failed: %s\n", zError(rc));
        return 1;
    }

    uLongf back_len = (uLongf)len;
    unsigned char *back = malloc(len ? len : 1);
    rc = back ? uncompress(back, &back_len, packed, packed_len) : Z_MEM_ERROR;
    if (rc != Z_OK || back_len != len || memcmp(back, data, len) != 0) {
        fprintf(stderr, "kpack: round trip failed: %s\n", rc == Z_OK ? "content differs" : zError(rc));
        return 1;
    }

    if (out_path && write_file(out_path, packed, packed_len) != 0) {
        fprintf(stderr, "kpack: %s: %s\n", out_path, strerror(errno));
        return 1;
    }

    char fnv[17];
    kpack_fnv1a64_hex(data, len, fnv);
    unsigned long crc = crc32(crc32(0L, Z_NULL, 0), data, (uInt)len);
    unsigned long permille = len ? (unsigned long)((packed_len * 1000ULL) / len) : 0;

    printf("file:      %s\n", in_path);
    printf("input:     %zu bytes\n", len);
    printf("deflated:  %lu bytes (%lu.%lu%% of input)\n", (unsigned long)packed_len, permille / 10, permille % 10);
    printf("crc32:     %08lx\n", crc);
    printf("fnv1a64:   %s\n", fnv);
    printf("roundtrip: ok\n");

    free(back);
    free(packed);
    free(data);
    return 0;
}
