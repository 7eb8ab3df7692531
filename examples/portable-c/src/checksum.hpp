/* Checksums for kpack, implemented in C++ (checksum.cpp) behind a C interface. */
#ifndef KPACK_CHECKSUM_HPP
#define KPACK_CHECKSUM_HPP

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Formats the FNV-1a 64-bit hash of data[0..len) as 16 lowercase hex digits plus NUL into out[17]. */
void kpack_fnv1a64_hex(const unsigned char *data, size_t len, char out[17]);

#ifdef __cplusplus
}
#endif

#endif
