#!/usr/bin/env bash
# Prepares a machine for kiln's Docker integration tests (called by .ci/run). Idempotent and fast when done:
#   1. installs docker.io, mmdebstrap, qemu-user-static, binfmt-support when missing;
#   2. starts dockerd in the background when the engine does not answer, and waits for it (with a timeout);
#   3. registers binfmt for aarch64 (QEMU user emulation) when it is not registered;
#   4. builds and loads the test images with `kiln image bootstrap` (skipped when the image already exists).
# Run as root on Debian 12. Non-interactive.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
# The Debian client (/usr/bin/docker) first: some machines carry an older standalone client in /usr/local/bin.
export PATH="/usr/bin:/usr/sbin:$PATH"

log() { echo "docker-setup: $*"; }

# 1. packages
need=()
command -v dockerd >/dev/null 2>&1 && [ -x /usr/bin/docker ] || need+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || need+=(mmdebstrap)
command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
command -v update-binfmts >/dev/null 2>&1 || need+=(binfmt-support)
command -v arch-test >/dev/null 2>&1 || need+=(arch-test)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq -o DPkg::Lock::Timeout=600
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${need[@]}" >/dev/null
fi

# 2. engine
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  # A pid file left by a killed dockerd stops a new one from starting.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then rm -f /var/run/docker.pid; fi
  mkdir -p /var/log
  nohup dockerd >/var/log/kiln-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    log "dockerd did not answer within 60 s; last log lines:"
    tail -n 30 /var/log/kiln-dockerd.log >&2 || true
    exit 1
  fi
fi
log "engine $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?') ready"

# 3. binfmt for aarch64
if [ "$(uname -m)" != aarch64 ]; then
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    log "registering qemu-aarch64 with binfmt_misc"
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || update-binfmts --import qemu-aarch64 >/dev/null 2>&1 || true
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && [ -e /proc/sys/fs/binfmt_misc/register ]; then
    # Direct registration with the F (fix binary) flag, so containers need no interpreter inside them.
    printf '%s' ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F' \
      >/proc/sys/fs/binfmt_misc/register 2>/dev/null || true
  fi
  if [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    log "binfmt qemu-aarch64: $(head -n 1 /proc/sys/fs/binfmt_misc/qemu-aarch64)"
  else
    log "warning: could not register binfmt for aarch64; arm64 tests will fail"
  fi
fi

# 4. test images (each is skipped when an image with the same spec label exists)
KILN_FROM_SOURCE=1 node bin/kiln.js image bootstrap debian:bookworm --include busybox,zlib1g-dev:arm64
KILN_FROM_SOURCE=1 node bin/kiln.js image bootstrap debian:bookworm --arch arm64
log "done"
