#!/usr/bin/env bash
# Makes the plain Debian images this example needs with `kiln image bootstrap` (mmdebstrap from a Debian mirror,
# loaded into the local Docker engine with the right architecture; no registry). kiln skips an image whose tag
# already holds the same spec, and examples/portable-c makes the same two, so running both costs one bootstrap.
#
#   ./images.sh          bullseye amd64 (the FROM of build-image/Dockerfile and the amd64 run image) and arm64
#   ./images.sh build    also build the build image now (`kiln image build`; `kiln run` would do it on first use)
#
# KILN: how to run kiln (default: `kiln` on PATH). MIRROR: a Debian mirror URL (default: kiln's default).
set -euo pipefail
cd "$(dirname "$0")"

KILN=${KILN:-kiln}
mirror_args=()
if [ -n "${MIRROR:-}" ]; then mirror_args=(--mirror "$MIRROR"); fi

bootstrap() {
  echo "images.sh: $*" >&2
  $KILN image bootstrap "$@" "${mirror_args[@]}"
}

bootstrap debian:bullseye --arch amd64 --tag kiln-example/bullseye-amd64:1
bootstrap debian:bullseye --arch arm64 --tag kiln-example/bullseye-arm64:1

if [ "${1:-}" = build ]; then
  $KILN image build
fi
