/* Built by the build image's check stage for x86_64 and aarch64: proves clang, lld, the C library and zlib of
   both architectures are there. */
#include <stdio.h>
#include <zlib.h>

int main(void)
{
    printf("toolchain ok: zlib %s\n", zlibVersion());
    return 0;
}
