#!/usr/bin/env bash
# Builds the kiln runner image: plain Debian trixie with `kiln image bootstrap` (mmdebstrap from a Debian mirror;
# no registry), a built kiln copied into image/kiln (stage-kiln.mjs), then `kiln image build` (BuildKit), which skips
# the build when the Dockerfile, image/kiln and the base image are unchanged (io.kiln.image.build label).
#
#   ./images.sh
#
# KILN: how to run kiln (default: `kiln` on PATH). KILN_ROOT: the built kiln checkout to put in the image
# (default: the one holding this file; `npm run build` first). MIRROR: a Debian mirror URL.
set -euo pipefail
cd "$(dirname "$0")"

KILN=${KILN:-kiln}
mirror_args=()
if [ -n "${MIRROR:-}" ]; then mirror_args=(--mirror "$MIRROR"); fi

echo "images.sh: debian:trixie" >&2
$KILN image bootstrap debian:trixie --arch amd64 --tag kiln-example/trixie-amd64:1 "${mirror_args[@]}"
node stage-kiln.mjs ${KILN_ROOT:+"$KILN_ROOT"}
$KILN image build "$@" kiln-runner
