#!/usr/bin/env bash
# Makes the example's images with `kiln image bootstrap` (mmdebstrap from the host's Debian mirror, loaded into the local
# Docker engine with the right architecture). kiln skips an image whose tag already holds the same spec, so running
# this again is cheap.
#
#   ./images.sh            the three images the pipeline uses
#   ./images.sh bookworm   also the bookworm build image for the negative case (glibc 2.36 links GLIBC_2.34)
#
# KILN: how to run kiln (default: `kiln` on PATH). MIRROR: a Debian mirror URL (default: kiln's default).
set -euo pipefail

KILN=${KILN:-kiln}
mirror_args=()
if [ -n "${MIRROR:-}" ]; then mirror_args=(--mirror "$MIRROR"); fi

# The seed's package list for a cross build image, for C/C++ instead of .NET: native and aarch64 compilers
# (gcc and clang/lld), ccache, make, and the arm64 target libraries through multiarch (zlib, the C library, and
# libstdc++'s headers, which clang's cross C++ needs; $1 is the suite's GCC major version).
build_packages() {
  echo "clang,llvm,lld,gcc,g++,gcc-aarch64-linux-gnu,g++-aarch64-linux-gnu,binutils-aarch64-linux-gnu,make,ccache,zlib1g-dev,zlib1g-dev:arm64,libc6-dev:arm64,libstdc++-$1-dev:arm64"
}

bootstrap() {
  echo "images.sh: $*" >&2
  $KILN image bootstrap "$@" "${mirror_args[@]}"
}

# Build image: glibc 2.31, the floor of Kylin Desktop V10 SP1, Debian 11 and Ubuntu 20.04.
bootstrap debian:bullseye --arch amd64 --include "$(build_packages 10)" --tag kiln-example/bullseye-build:1
# Plain images of each architecture for the smoke and install checks (arm64 runs under QEMU).
bootstrap debian:bullseye --arch amd64 --tag kiln-example/bullseye-amd64:1
bootstrap debian:bullseye --arch arm64 --tag kiln-example/bullseye-arm64:1

if [ "${1:-}" = bookworm ]; then
  # The same toolchain on glibc 2.36: what you get by building "on a current distro".
  bootstrap debian:bookworm --arch amd64 --include "$(build_packages 12)" --tag kiln-example/bookworm-build:1
fi
