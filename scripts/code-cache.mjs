// Makes dist/cache/: runs the freshly built `kiln jobs` once per bundle on a small sample pipeline, with the code cache
// directory pointed at dist/cache, so dist/boot.cjs writes the V8 code cache of that run there (see
// src/boot/boot.ts). The cache fits the node running the build; another node makes its own at run time.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

// A little of everything `kiln jobs` reads: stages, variables, default, extends, rules, needs, parallel:matrix.
const SAMPLE = `stages: [build, test, deploy]
variables:
  GLOBAL: "1"
default:
  image: debian:12
.base:
  before_script: [echo base]
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
      when: never
    - if: $CI_COMMIT_BRANCH =~ /^(main|release\\/.*)$/ && $GLOBAL == "1"
    - when: manual
build:
  extends: .base
  stage: build
  script: [make]
  cache: { key: $CI_JOB_NAME, paths: [target/] }
  parallel:
    matrix:
      - ARCH: [amd64, arm64]
test:
  stage: test
  needs: [build]
  script: make test
  variables: { SHARD: "1" }
deploy:
  stage: deploy
  script: make deploy
  when: manual
  only: [main]
`;

/** Builds `<root>/dist/cache` using `<root>/bin/kiln.js`; never throws (the cache only makes kiln start faster). */
export function makeCodeCache(root) {
  let dir;
  try {
    dir = mkdtempSync(join(tmpdir(), 'kiln-code-cache-'));
    const cacheDir = join(root, 'dist', 'cache');
    writeFileSync(join(dir, '.gitlab-ci.yml'), SAMPLE);
    spawnSync('git', ['init', '-q', '-b', 'main', dir], { stdio: 'ignore' });
    const env = { ...process.env, KILN_CODE_CACHE_DIR: cacheDir };
    delete env.KILN_FROM_SOURCE;
    delete env.KILN_NO_CODE_CACHE;
    // Once per bundle (src/boot/bundle.ts): `kiln jobs` runs kiln-plan.cjs, and with KILN_FULL_BUNDLE=1 kiln.cjs,
    // whose cache then holds the pipeline loading that `kiln run` does first.
    // Through the `kiln` launcher (bin/kiln), as users run kiln: V8 accepts a code cache only under the flags it
    // was made with, and the launcher sets one. The node running the build goes first on PATH.
    env.PATH = `${dirname(process.execPath)}${delimiter}${env.PATH ?? ''}`;
    for (const full of [false, true]) {
      const r = spawnSync('/bin/sh', [join(root, 'bin', 'kiln'), 'jobs', '--json', '--dir', dir, '--ref', 'main'], {
        env: { ...env, KILN_FULL_BUNDLE: full ? '1' : '' },
        encoding: 'utf8',
      });
      if (r.status !== 0) return { ok: false, reason: `kiln jobs exited with ${r.status}: ${(r.stderr || '').trim()}` };
    }
    const made = existsSync(cacheDir) && readdirSync(cacheDir).some((n) => n.endsWith('.v8cache'));
    return made ? { ok: true } : { ok: false, reason: 'this node has no zlib.crc32 (Node.js < 20.15)' };
  } catch (err) {
    return { ok: false, reason: err.message };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
