// `[images.<name>]` through the CLI against the real engine: `kiln image build` builds with BuildKit (a
// multi-stage Dockerfile with a RUN cache mount and build args), an unchanged image is never rebuilt, a changed
// context or arg always is, a missing FROM image or a failing step is a clear error; `kiln run` builds the image
// before the first job that names it and not again on the next run.
// Needs Docker: skips without it, fails under CI=true.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { AMD64_SPEC, ARM64_SPEC, dockerOrSkip, testImage } from '../docker/helpers.js';
import { runKiln } from '../flagship/harness.js';
import { jobLog, runPipeline } from '../flagship/pipeline-run.js';

const DOCKERFILE = `ARG BASE
FROM \${BASE} AS counter
ARG STAMP
# The cache mount keeps /cache between builds: the count says how often this step ran in this cache.
RUN --mount=type=cache,target=/cache,id=kiln-test-counter-RAND echo "run $STAMP" >> /cache/runs && wc -l < /cache/runs > /runs-seen

FROM \${BASE}
COPY --from=counter /runs-seen /runs-seen
COPY payload.txt /payload.txt
`;

interface BuildJson {
  name: string;
  image: string;
  tag: string;
  imageId: string;
  built: boolean;
  steps: { executed: number; cached: number };
}

describe('Dockerfile images ([images.<name>])', () => {
  let docker: Docker | undefined;
  let base = '';
  let root = '';
  const rand = randomBytes(4).toString('hex');
  const repo = `kiln-test/build-${rand}`;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'kiln-image-build-'));
  });
  after(async () => {
    if (docker) {
      const list = await docker.listImages({
        filters: JSON.stringify({ reference: [`${repo}`, `kiln-test/run-${rand}`, `kiln-test/base-${rand}`] }),
      });
      for (const img of list)
        await docker
          .getImage(img.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  async function ready(t: TestContext): Promise<boolean> {
    docker = await dockerOrSkip(t);
    if (!docker) return false;
    base ||= await testImage(AMD64_SPEC);
    return true;
  }

  function project(name: string, image: string, args: Record<string, string>, dockerfile = DOCKERFILE): string {
    const dir = join(root, name);
    mkdirSync(join(dir, 'ctx'), { recursive: true });
    writeFileSync(join(dir, 'ctx', 'Dockerfile'), dockerfile.replace('RAND', rand));
    writeFileSync(join(dir, 'ctx', 'payload.txt'), 'payload one\n');
    writeFileSync(join(dir, 'kiln.toml'), tomlFor(image, args));
    return dir;
  }
  function tomlFor(image: string, args: Record<string, string>): string {
    const a = Object.entries(args)
      .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
      .join(', ');
    return `[runner]\nexecutor = "docker"\n[docker]\npull_policy = "never"\n[images.t]\nimage = "${image}"\ncontext = "ctx"\nargs = { ${a} }\n`;
  }
  async function build(dir: string): Promise<BuildJson> {
    const r = await runKiln(['image', 'build', '--json'], { cwd: dir, timeoutMs: 15 * 60_000 });
    assert.equal(r.code, 0, `kiln image build failed:\n${r.stderr.slice(-4000)}`);
    const out = JSON.parse(r.stdout) as BuildJson[];
    assert.equal(out.length, 1);
    return out[0];
  }

  it(
    'builds once, keeps an unchanged image, rebuilds on a changed file or arg; cache mounts persist',
    { timeout: 20 * 60_000 },
    async (t) => {
      if (!(await ready(t))) return;
      const dir = project('build', `${repo}:1`, { BASE: base, STAMP: 'a' });
      const first = await build(dir);
      assert.equal(first.built, true);
      assert.match(first.tag, new RegExp(`^${repo}:kiln-[0-9a-f]{12}-amd64$`));
      assert.ok(first.steps.executed >= 3, `steps run: ${JSON.stringify(first.steps)}`);
      const img = await docker!.getImage(first.tag).inspect();
      assert.equal(img.Id, first.imageId);
      assert.equal(img.Architecture, 'amd64');
      // The declared reference points at the build.
      assert.equal((await docker!.getImage(`${repo}:1`).inspect()).Id, first.imageId);

      const again = await build(dir);
      assert.equal(again.built, false, 'unchanged: not rebuilt');
      assert.equal(again.tag, first.tag);
      assert.equal(again.imageId, first.imageId);

      writeFileSync(join(dir, 'ctx', 'payload.txt'), 'payload two\n');
      const changed = await build(dir);
      assert.equal(changed.built, true, 'a changed context file rebuilds');
      assert.notEqual(changed.tag, first.tag);
      assert.equal((await docker!.getImage(`${repo}:1`).inspect()).Id, changed.imageId);

      writeFileSync(join(dir, 'kiln.toml'), tomlFor(`${repo}:1`, { BASE: base, STAMP: 'b' }));
      const restamped = await build(dir);
      assert.equal(restamped.built, true, 'a changed build arg rebuilds');
      // The counter step ran again in the same cache mount: it saw both runs.
      const run = await docker!.createContainer({ Image: restamped.tag, Cmd: ['cat', '/runs-seen', '/payload.txt'] });
      try {
        await run.start();
        await run.wait();
        const logs = (await run.logs({ stdout: true, stderr: true })).toString('utf8').replace(/[\x00-\x08]/g, '');
        assert.match(logs, /\b2\b/, `the cache mount kept the first run's line: ${JSON.stringify(logs)}`);
        assert.match(logs, /payload two/);
      } finally {
        await run.remove({ force: true });
      }
    },
  );

  it(
    'a FROM image missing from the engine and a failing step are clear errors',
    { timeout: 10 * 60_000 },
    async (t) => {
      if (!(await ready(t))) return;
      const missing = project('missing', `${repo}:missing`, { BASE: `kiln-test/absent-${rand}:1` });
      const r = await runKiln(['image', 'build'], { cwd: missing });
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(`ctx/Dockerfile:2: FROM kiln-test/absent-${rand}:1 is not in the Docker engine`),
      );

      const failing = project(
        'failing',
        `${repo}:failing`,
        { BASE: base },
        `ARG BASE\nFROM \${BASE}\nRUN echo about to fail && exit 3\n`,
      );
      const f = await runKiln(['image', 'build'], { cwd: failing });
      assert.equal(f.code, 1);
      assert.match(f.stderr, /about to fail/);
      assert.match(f.stderr, /\[images\.t\] \(linux\/amd64\): the build failed: .*exit code: 3/);
    },
  );

  it(
    'a .dockerignore that ignores everything but a few paths still sends the Dockerfile (as Docker does), and nothing else',
    { timeout: 10 * 60_000 },
    async (t) => {
      if (!(await ready(t))) return;
      const dir = project(
        'ignore-all',
        `${repo}:ignore-all`,
        { BASE: base },
        `ARG BASE\nFROM \${BASE}\nCOPY . /ctx/\nRUN cd /ctx && find . -type f | sort > /listing\n`,
      );
      writeFileSync(join(dir, 'ctx', '.dockerignore'), '*\n!payload.txt\n!keep\n');
      mkdirSync(join(dir, 'ctx', 'keep', 'a-long-directory-name-'.repeat(4), 'x'.repeat(90)), { recursive: true });
      const deep = join('keep', 'a-long-directory-name-'.repeat(4), 'x'.repeat(90), 'deep-file-name.txt');
      writeFileSync(join(dir, 'ctx', deep), 'deep\n');
      writeFileSync(join(dir, 'ctx', 'secret.env'), 'TOKEN=not-for-the-image\n');
      const built = await build(dir);
      assert.equal(built.built, true);
      const run = await docker!.createContainer({
        Image: built.tag,
        Cmd: ['cat', '/listing', `/ctx/${deep}`],
        Tty: true,
      });
      try {
        await run.start();
        await run.wait();
        const out = (await run.logs({ stdout: true, stderr: true })).toString('utf8');
        const lines = out.trim().split(/\r?\n/);
        assert.ok(lines.includes('./payload.txt'), out);
        assert.ok(lines.includes(`./${deep}`), `a path longer than ustar's fields arrives whole: ${out}`);
        assert.equal(lines.at(-1), 'deep');
        assert.ok(!lines.some((l) => l.includes('secret')), `an ignored file is not sent: ${out}`);
      } finally {
        await run.remove({ force: true });
      }
    },
  );

  it(
    'kiln run builds the image before the first job that uses it, and not again',
    { timeout: 20 * 60_000 },
    async (t) => {
      if (!(await ready(t))) return;
      const image = `kiln-test/run-${rand}:1`;
      const dir = project('run', image, { BASE: base, STAMP: 'run' });
      writeFileSync(
        join(dir, '.gitlab-ci.yml'),
        `stages: [one, two]
a:
  stage: one
  image: ${image}
  script: [cat /payload.txt]
b:
  stage: two
  image: ${image}
  script: [cat /payload.txt]
`,
      );
      const first = await runPipeline(dir, {});
      assert.equal(first.status, 'passed', first.result.stderr.slice(-3000));
      const a = jobLog(first, 'a');
      assert.match(
        a,
        new RegExp(
          `Using image ${image} from kiln.toml \\[images\\.t\\]: kiln-test/run-${rand}:kiln-[0-9a-f]{12}-amd64 \\(built in`,
        ),
      );
      assert.match(a, /#\d+ (CACHED )?\[stage-1 3\/3\] COPY payload.txt \/payload.txt/);
      assert.match(a, /payload one/);
      assert.match(jobLog(first, 'b'), /\(built by an earlier job of this run\)/);
      assert.doesNotMatch(jobLog(first, 'b'), /#\d+ /, 'job b ran no build step');

      const second = await runPipeline(dir, {});
      assert.equal(second.status, 'passed');
      for (const job of ['a', 'b']) {
        const log = jobLog(second, job);
        assert.match(log, /unchanged, not rebuilt/);
        assert.doesNotMatch(log, /#\d+ /, 'no build step ran');
      }

      writeFileSync(join(dir, 'ctx', 'payload.txt'), 'payload three\n');
      const third = await runPipeline(dir, {});
      assert.equal(third.status, 'passed');
      assert.match(jobLog(third, 'a'), /\(built in[\s\S]*payload three/);
    },
  );

  it(
    'builds one image per platform; RUN steps of the foreign one run under QEMU; FROM follows TARGETARCH',
    { timeout: 20 * 60_000 },
    async (t) => {
      if (!(await ready(t))) return;
      const arm = await testImage(ARM64_SPEC);
      // One repository with a tag per architecture, as a team would tag its bootstrapped bases.
      await docker!.getImage(base).tag({ repo: `kiln-test/base-${rand}`, tag: 'amd64' });
      await docker!.getImage(arm).tag({ repo: `kiln-test/base-${rand}`, tag: 'arm64' });
      const dir = join(root, 'multi');
      mkdirSync(join(dir, 'ctx'), { recursive: true });
      writeFileSync(
        join(dir, 'ctx', 'Dockerfile'),
        `ARG TARGETARCH\nFROM kiln-test/base-${rand}:\${TARGETARCH}\nRUN uname -m > /machine\n`,
      );
      writeFileSync(
        join(dir, 'kiln.toml'),
        `[images.m]\nimage = "${repo}:multi"\ncontext = "ctx"\nplatforms = ["linux/amd64", "linux/arm64"]\n`,
      );
      const r = await runKiln(['image', 'build', '--json'], { cwd: dir, timeoutMs: 15 * 60_000 });
      assert.equal(r.code, 0, r.stderr.slice(-4000));
      const out = JSON.parse(r.stdout) as BuildJson[];
      assert.deepEqual(
        out.map((b) => b.tag.replace(/kiln-[0-9a-f]{12}/, 'H')),
        [`${repo}:H-amd64`, `${repo}:H-arm64`],
      );
      for (const [b, machine, arch] of [
        [out[0], 'x86_64', 'amd64'],
        [out[1], 'aarch64', 'arm64'],
      ] as const) {
        assert.equal((await docker!.getImage(b.tag).inspect()).Architecture, arch);
        const c = await docker!.createContainer({
          Image: b.tag,
          Cmd: ['cat', '/machine'],
          platform: `linux/${arch}`,
        } as Docker.ContainerCreateOptions);
        try {
          await c.start();
          await c.wait();
          assert.match((await c.logs({ stdout: true })).toString('utf8'), new RegExp(machine));
        } finally {
          await c.remove({ force: true });
        }
      }
      // The declared reference is the engine's own platform.
      assert.equal((await docker!.getImage(`${repo}:multi`).inspect()).Architecture, 'amd64');
    },
  );
});
