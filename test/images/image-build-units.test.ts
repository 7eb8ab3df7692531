// The pure parts of Dockerfile images: the [images.<name>] config table, FROM resolution, the build context
// (.dockerignore, symlinks, digests) and the BuildKit progress decoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfigText } from '../../src/config/index.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { dockerfileBases, platformArgs } from '../../src/images/build/dockerfile.js';
import { isIgnored, parseDockerignore, readBuildContext } from '../../src/images/build/context.js';
import { decodeStatus, TraceFormatter } from '../../src/images/build/trace.js';

const AMD64 = platformArgs('linux/amd64', 'linux/amd64');

test('[images.<name>]: paths relative to kiln.toml, defaults, every setting read', () => {
  const layer = readConfigText(
    `[images.build]
image = "team/build:2"
context = "ctx"
dockerfile = "ctx/Dockerfile.build"
platforms = ["linux/amd64", "linux/arm64"]
args = { BASE = "kiln/debian:1" }
target = "final"

[images.plain]
`,
    '/p/kiln.toml',
  );
  assert.deepEqual(layer.get('images.build')?.value, {
    name: 'build',
    image: 'team/build:2',
    context: '/p/ctx',
    dockerfile: '/p/ctx/Dockerfile.build',
    platforms: ['linux/amd64', 'linux/arm64'],
    args: { BASE: 'kiln/debian:1' },
    target: 'final',
  });
  assert.deepEqual(layer.get('images.plain')?.value, {
    name: 'plain',
    image: 'plain:latest',
    context: '/p',
    dockerfile: '/p/Dockerfile',
    platforms: [],
    args: {},
  });
  assert.equal(layer.get('images.build')?.position?.line, 1);
});

test('[images.<name>]: bad values name the file, line and key', () => {
  const cases: [string, RegExp][] = [
    [
      '[images.b]\nplatforms = ["windows/amd64"]\n',
      /kiln\.toml:2:\d+: images:b:platforms:0: unknown platform "windows\/amd64"/,
    ],
    ['[images.b]\nimage = "Team/Build"\n', /images:b:image: "Team\/Build" is not an image reference/],
    ['[images.b]\nargs = { "A-B" = "x" }\n', /images:b:args:A-B: "A-B" is not a build argument name/],
    ['[images.b]\nargs = { A = 1 }\n', /images:b:args:A: expected a non-empty string/],
    ['[images.b]\ncontxt = "."\n', /images:b:contxt: unknown key "contxt"/],
    ['[images.b]\n[images.c]\nimage = "b"\n', /images:c:image: image "b:latest" is already declared by \[images\.b\]/],
    ['images = 3\n', /images: expected tables \[images\.<name>\]/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => readConfigText(text, '/p/kiln.toml'),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.match(e.message, re);
        return true;
      },
    );
  }
});

test('[images.<name>]: merged per name from the user and project kiln.toml', () => {
  const root = mkdtempSync(join(tmpdir(), 'kiln-images-'));
  mkdirSync(join(root, 'user'));
  mkdirSync(join(root, 'project'));
  writeFileSync(join(root, 'user', 'kiln.toml'), '[images.a]\ncontext = "u"\n[images.b]\n');
  writeFileSync(join(root, 'project', 'kiln.toml'), '[images.a]\ncontext = "p"\n');
  const { config, origins } = loadConfig({ projectDir: join(root, 'project'), userConfigDir: join(root, 'user') });
  assert.equal(config.images.a.context, join(root, 'project', 'p'));
  assert.equal(config.images.b.context, join(root, 'user'));
  assert.equal(origins['images.a'].source, 'project');
});

test('FROM lines: global ARGs, build args, platform args, stages and scratch', () => {
  const text = [
    '# syntax is not needed',
    'ARG BASE=kiln/debian-bookworm-${TARGETARCH}:1',
    'ARG TOOLS',
    'FROM ${BASE} AS build',
    'RUN echo hi \\',
    '  && echo there',
    'from --platform=$BUILDPLATFORM ${TOOLS:-kiln/tools:1} as tools',
    'FROM build',
    'FROM scratch',
    'COPY --from=tools /x /x',
  ].join('\n');
  assert.deepEqual(dockerfileBases(text, {}, platformArgs('linux/arm64', 'linux/amd64')).bases, [
    { image: 'kiln/debian-bookworm-arm64:1', line: 4 },
    { image: 'kiln/tools:1', platform: 'linux/amd64', line: 7 },
  ]);
  assert.deepEqual(
    dockerfileBases(text, { BASE: 'mine:2', TOOLS: 't:3' }, AMD64).bases.map((b) => b.image),
    ['mine:2', 't:3'],
  );
});

test('FROM lines: escape directive and ARG after FROM does not change FROM', () => {
  const text = '# escape=`\nARG B=a:1\nFROM $B `\n  AS one\nARG B=b:2\nFROM $B\n';
  assert.deepEqual(dockerfileBases(text, {}, AMD64).bases, [
    { image: 'a:1', line: 3 },
    { image: 'a:1', line: 6 },
  ]);
});

test('.dockerignore: last match wins, directories exclude their contents, ! re-includes', () => {
  const rules = parseDockerignore('# comment\n/out\n*.log\n!keep.log\ndocs/**/*.md\n');
  assert.equal(isIgnored('out/a/b.txt', rules), true);
  assert.equal(isIgnored('x.log', rules), true);
  assert.equal(isIgnored('keep.log', rules), false);
  assert.equal(isIgnored('docs/a/b/c.md', rules), true);
  assert.equal(isIgnored('src/out.txt', rules), false);
});

test('build context: digest follows contents, modes and names; ignored files and link targets stay out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-ctx-'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM x\n');
  writeFileSync(join(dir, '.dockerignore'), 'secret\nDockerfile\n');
  writeFileSync(join(dir, 'secret'), 'no');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'a.sh'), 'echo a\n');
  symlinkSync('/etc/passwd', join(dir, 'link'));
  const one = await readBuildContext(dir, join(dir, 'Dockerfile'));
  assert.deepEqual(
    one.files.map((f) => [f.path, f.kind]),
    [
      ['.dockerignore', 'file'],
      ['Dockerfile', 'file'],
      ['link', 'symlink'],
      ['sub/a.sh', 'file'],
    ],
  );
  // An ignored file does not change the digest; a sent file's content and mode do.
  writeFileSync(join(dir, 'secret'), 'changed');
  assert.equal((await readBuildContext(dir, join(dir, 'Dockerfile'))).digest, one.digest);
  chmodSync(join(dir, 'sub', 'a.sh'), 0o755);
  const two = await readBuildContext(dir, join(dir, 'Dockerfile'));
  assert.notEqual(two.digest, one.digest);
  writeFileSync(join(dir, 'sub', 'a.sh'), 'echo b\n');
  assert.notEqual((await readBuildContext(dir, join(dir, 'Dockerfile'))).digest, two.digest);
});

/** Protobuf encoding helpers for the decoder test (wire types 0 and 2 only). */
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Buffer.from(out);
}
const field = (no: number, payload: Buffer | string) => {
  const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([varint((no << 3) | 2), varint(p.length), p]);
};
const flag = (no: number, v: number) => Buffer.concat([varint(no << 3), varint(v)]);

test('BuildKit trace: vertexes and logs decoded; steps numbered, output split into lines', () => {
  const ts = field(1, Buffer.concat([flag(1, 1700000000), flag(2, 5)]));
  const vertex = (digest: string, name: string, extra: Buffer[] = []) =>
    field(1, Buffer.concat([field(1, digest), field(3, name), ...extra]));
  const log = (digest: string, msg: string) => field(3, Buffer.concat([field(1, digest), flag(3, 1), field(4, msg)]));
  const status = decodeStatus(
    Buffer.concat([
      vertex('sha256:a', '[1/2] FROM base', [flag(4, 1), field(6, ts)]),
      vertex('sha256:b', '[2/2] RUN make', [field(5, ts)]),
      log('sha256:b', 'line one\nline t'),
    ]),
  );
  assert.deepEqual(
    status.vertexes.map((v) => [v.name, v.cached, v.started, v.completed]),
    [
      ['[1/2] FROM base', true, false, true],
      ['[2/2] RUN make', false, true, false],
    ],
  );
  assert.equal(status.logs[0].msg.toString(), 'line one\nline t');
  const lines: string[] = [];
  const f = new TraceFormatter((l) => lines.push(l));
  f.add(status);
  f.add(
    decodeStatus(
      Buffer.concat([log('sha256:b', 'wo\n'), vertex('sha256:b', '[2/2] RUN make', [field(7, 'exit code: 2')])]),
    ),
  );
  f.flush();
  assert.deepEqual(lines, [
    '#1 CACHED [1/2] FROM base',
    '#2 [2/2] RUN make',
    '#2 line one',
    '#2 line two',
    '#2 ERROR: exit code: 2',
  ]);
  assert.throws(() => decodeStatus(Buffer.from([0x0a, 0x05, 0x01])), /truncated/);
});
