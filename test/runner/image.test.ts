// The kiln runner container image (examples/runner-image), end to end: built through the built CLI
// (`kiln image bootstrap` + `kiln image build`, reused when its content digest is unchanged, e.g. after .ci/run
// built it), then run as docs/runner.md says: --network host, the config directory mounted read-only, the Docker
// socket mounted read-only, the state in a named volume. The coordinator double runs on the host. Needs Docker
// (fails under CI=true without it).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { unzipSync } from 'fflate';
import { AMD64_SPEC, dockerOrSkip, testImage } from '../docker/helpers.js';
import { ensureBuilt, kilnCommand, ROOT, scenario, type Scenario } from './helpers/setup.js';

const run = promisify(execFile);
const EXAMPLE = join(ROOT, 'examples', 'runner-image');
const scenarios: Scenario[] = [];
const containers: string[] = [];
const volumes: string[] = [];

after(async () => {
  for (const c of containers) await run('docker', ['rm', '-f', c]).catch(() => undefined);
  for (const v of volumes) await run('docker', ['volume', 'rm', '-f', v]).catch(() => undefined);
  for (const s of scenarios) await s.coordinator.stop();
});

/** docker CLI, asynchronously: the coordinator double answers from this process meanwhile. */
async function docker(...args: string[]): Promise<string> {
  const r = await run('docker', args, { maxBuffer: 64 << 20, timeout: 180_000 });
  return r.stdout;
}

interface BuildResult {
  tag: string;
  built: boolean;
  seconds: number;
}

let imageBuild: Promise<BuildResult> | undefined;

/**
 * The image of the kiln under test, through examples/runner-image/images.sh (a copy, so the checkout is not
 * written): the built copy of this checkout is staged as the context and `kiln image build` builds it or finds
 * the same content digest already built (its io.kiln.image.build label).
 */
function runnerImage(): Promise<BuildResult> {
  imageBuild ??= (async () => {
    ensureBuilt();
    const bin = kilnCommand()[0];
    const kilnRoot = dirname(dirname(bin));
    const copy = mkdtempSync(join(tmpdir(), 'kiln-runner-image-'));
    cpSync(EXAMPLE, copy, {
      recursive: true,
      filter: (src) => !relative(EXAMPLE, src).split(sep).join('/').startsWith('image/kiln'),
    });
    const started = Date.now();
    const r = await run('bash', [join(copy, 'images.sh'), '--json'], {
      env: { ...process.env, KILN: `${process.execPath} ${bin}`, KILN_ROOT: kilnRoot, KILN_FROM_SOURCE: '' },
      maxBuffer: 64 << 20,
      timeout: 1_200_000,
    });
    const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('\n[') + 1)) as {
      name: string;
      tag: string;
      built: boolean;
    }[];
    const mine = json.find((x) => x.name === 'kiln-runner');
    assert.ok(mine, r.stdout);
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(`# runner image ${mine.tag}: ${mine.built ? 'built' : 'reused'} in ${seconds.toFixed(1)} s\n`);
    return { tag: mine.tag, built: mine.built, seconds };
  })();
  return imageBuild;
}

/** The scenario's config in a directory of its own, to be mounted read-only at /etc/kiln. */
function configDir(s: Scenario): string {
  const dir = join(s.dir, 'etc-kiln');
  mkdirSync(dir);
  copyFileSync(s.configFile, join(dir, 'kiln.toml'));
  return dir;
}

function uniqueName(what: string): string {
  return `kiln-test-${what}-${randomBytes(4).toString('hex')}`;
}

/** `docker run -d` of the image as docs/runner.md shows it; returns the container name. */
async function startRunner(image: string, confDir: string, extraMounts: string[], args: string[]): Promise<string> {
  const name = uniqueName('runner');
  containers.push(name);
  await docker(
    'run',
    '-d',
    '--name',
    name,
    '--network',
    'host',
    '-v',
    `${confDir}:/etc/kiln:ro`,
    '-v',
    '/var/run/docker.sock:/var/run/docker.sock:ro',
    ...extraMounts.flatMap((m) => ['-v', m]),
    image,
    ...args,
  );
  return name;
}

async function finish(name: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const code = Number((await docker('wait', name)).trim());
  const logs = await run('docker', ['logs', name], { maxBuffer: 64 << 20 });
  return { code, stdout: logs.stdout, stderr: logs.stderr };
}

test('the image holds kiln and its runtime, runs `kiln runner run` on the mounted config, and bakes in no config', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const { tag } = await runnerImage();
  const inspect = JSON.parse(await docker('image', 'inspect', tag))[0] as {
    Config: { Entrypoint: string[]; Env: string[]; Labels: Record<string, string>; StopSignal?: string };
  };
  assert.equal(inspect.Config.StopSignal, 'SIGQUIT', "`docker stop` drains, as with GitLab Runner's image");
  assert.deepEqual(inspect.Config.Entrypoint, [
    'tini',
    '--',
    'kiln',
    'runner',
    'run',
    '-c',
    '/etc/kiln/kiln.toml',
    '--work-dir',
    '/var/lib/kiln',
    '--state-dir',
    '/var/lib/kiln',
  ]);
  assert.match(inspect.Config.Labels['io.kiln.image.build'], /^[0-9a-f]{64}$/);
  assert.ok(!inspect.Config.Env.some((e) => /TOKEN|glrt-/i.test(e)), inspect.Config.Env.join('\n'));
  // Every file of the image's own file system (-xdev: not the engine's /etc/hosts & co, nor /proc).
  const files = await docker('run', '--rm', '--entrypoint', 'find', tag, '/', '-xdev');
  const names = files.split('\n').filter(Boolean);
  assert.ok(names.includes('/opt/kiln/dist/kiln.cjs'), 'kiln is in the image');
  assert.ok(names.includes('/opt/kiln/node_modules/dockerode/package.json'), 'its production modules are real files');
  assert.ok(!names.some((n) => n.startsWith('/opt/kiln/node_modules/typescript')), 'no development modules');
  const configs = names.filter((n) => /(^|\/)(kiln|config)\.toml$|\.runner_system_id$/.test(n));
  assert.deepEqual(configs, [], 'no runner config or state baked into the image');
  const versions = await docker(
    'run',
    '--rm',
    '--entrypoint',
    'sh',
    tag,
    '-c',
    'node --version; git --version; kiln --version; ls /etc/kiln | wc -l',
  );
  const [node, git, kiln, etcKiln] = versions.trim().split('\n');
  assert.ok(Number(/^v(\d+)/.exec(node)?.[1]) >= 20, node);
  assert.match(git, /^git version /);
  assert.match(kiln, /^\d+\.\d+\.\d+/);
  assert.equal(etcKiln, '0');
});

test('in the container: a 2-job shell pipeline passes an artifact through the double; state goes to the volume, not the read-only config', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const { tag } = await runnerImage();
  const s = await scenario({ 'src/input.txt': 'from the repository\n' });
  scenarios.push(s);
  const c = s.coordinator;
  const cache = [{ key: 'deps', paths: ['vendor/'], policy: 'pull-push' as const, when: 'on_success' as const }];
  // A toolchain directory from the host, mounted read-only as the seeds' runners mount theirs.
  const toolchain = join(s.dir, 'toolchain');
  mkdirSync(join(toolchain, 'bin'), { recursive: true });
  writeFileSync(join(toolchain, 'bin', 'tool'), '#!/bin/sh\necho "toolchain from the host"\n', { mode: 0o755 });
  const build = c.enqueue({
    name: 'build',
    stage: 'build',
    script: [
      '. /etc/os-release',
      'echo "runner os: $VERSION_CODENAME, node $(node --version), pwd $(pwd)"',
      'mkdir -p out',
      'cat src/input.txt > out/result.txt',
      'echo "built by job $CI_JOB_ID" >> out/result.txt',
      'if touch /etc/kiln/probe 2>/dev/null; then echo "config dir writable"; else echo "config dir read-only"; fi',
      '/opt/toolchain/bin/tool',
      'if touch /opt/toolchain/probe 2>/dev/null; then echo "toolchain writable"; else echo "toolchain read-only"; fi',
      'mkdir -p vendor && echo "cached by $CI_JOB_NAME" > vendor/dep.txt',
    ],
    artifacts: [{ name: 'out', paths: ['out/'], when: 'on_success', artifact_type: 'archive', artifact_format: 'zip' }],
    cache,
  });
  const tst = c.enqueue({
    name: 'test',
    stage: 'test',
    needs: ['build'],
    script: ['cat out/result.txt', 'cat vendor/dep.txt'],
    cache,
  });
  const volume = uniqueName('state');
  volumes.push(volume);
  const name = await startRunner(
    tag,
    configDir(s),
    [`${volume}:/var/lib/kiln`, `${toolchain}:/opt/toolchain:ro`],
    ['--max-jobs', '2', '--json'],
  );
  const r = await finish(name);
  const buildTrace = build.trace.toString();
  assert.equal(r.code, 0, `${r.stderr}\n${buildTrace}\n${tst.trace.toString()}`);
  for (const j of [build, tst]) {
    assert.equal(j.status, 'success', j.trace.toString());
    assert.equal(j.final?.state, 'success');
    assert.equal(j.final?.bytesize, j.trace.length);
  }
  // The job ran in the runner's container (Debian trixie), not on this host, in the volume's builds directory.
  assert.match(
    buildTrace,
    /runner os: trixie, node v2\d\.\d+\.\d+, pwd \/var\/lib\/kiln\/builds\/test-runner\/0\/group\/app\n/,
  );
  assert.match(buildTrace, /config dir read-only/);
  assert.match(buildTrace, /\ntoolchain from the host\n/);
  assert.match(buildTrace, /\ntoolchain read-only\n/);
  assert.match(tst.trace.toString(), /Successfully extracted cache[^]*cached by build\n/);
  assert.equal(
    Buffer.from(unzipSync(build.artifacts[0].data)['out/result.txt']).toString(),
    `from the repository\nbuilt by job ${build.id}\n`,
  );
  assert.match(tst.trace.toString(), new RegExp(`from the repository\\nbuilt by job ${build.id}\\n`));
  assert.equal(
    r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{"id"')).length,
    2,
    r.stdout,
  );
  // The system id was kept in the state volume (the config directory is read-only) and is the one GitLab saw.
  assert.doesNotMatch(r.stderr, /cannot save the system id/);
  const saved = (
    await docker('run', '--rm', '-v', `${volume}:/state`, '--entrypoint', 'cat', tag, '/state/.runner_system_id')
  ).trim();
  assert.match(saved, /^s_[0-9a-f]{12}$/);
  const seen = new Set(c.requests.map((q) => q.body.system_id));
  assert.deepEqual([...seen], [saved]);
  // The cache store is in the volume too: it outlives the container.
  const store = await docker(
    'run',
    '--rm',
    '-v',
    `${volume}:/state`,
    '--entrypoint',
    'find',
    tag,
    '/state/cache',
    '-type',
    'f',
  );
  assert.ok(store.trim().split('\n').length > 0 && store.includes('/state/cache/'), store);
});

test('in the container: a Docker-executor job through the mounted socket, builds at the same path on host and in the container', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const { tag } = await runnerImage();
  const jobImage = await testImage(AMD64_SPEC);
  const s = await scenario(
    { 'data.txt': 'from the repository\n' },
    { executor: 'docker', extra: `  [runners.docker]\n    image = "${jobImage}"\n    pull_policy = ["never"]` },
  );
  scenarios.push(s);
  const job = s.coordinator.enqueue({
    name: 'in-docker',
    image: { name: jobImage },
    script: [
      '. /etc/os-release',
      'echo "job os: $VERSION_CODENAME in $CI_PROJECT_DIR"',
      'cat data.txt',
      'echo made-in-job-container > made.txt',
    ],
    artifacts: [{ paths: ['made.txt'], artifact_type: 'archive', artifact_format: 'zip', when: 'on_success' }],
  });
  // A host directory mounted at its own path: the host's engine finds the job's directories where kiln made them.
  const work = mkdtempSync(join(tmpdir(), 'kiln-runner-work-'));
  const name = await startRunner(tag, configDir(s), [`${work}:${work}`], ['--work-dir', work, '--max-jobs', '1']);
  const r = await finish(name);
  const trace = job.trace.toString();
  assert.equal(r.code, 0, `${r.stderr}\n${trace}`);
  assert.equal(job.status, 'success', trace);
  // The runner is trixie; the job ran in the bookworm test image the host's engine started.
  assert.match(trace, /job os: bookworm in \/builds\/group\/app\n/);
  assert.match(trace, /from the repository/);
  assert.equal(Buffer.from(unzipSync(job.artifacts[0].data)['made.txt']).toString(), 'made-in-job-container\n');
});

test('in the container: the Docker executor refuses a builds directory the host engine cannot see at the same path', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const { tag } = await runnerImage();
  const jobImage = await testImage(AMD64_SPEC);
  const s = await scenario({}, { executor: 'docker', extra: `  [runners.docker]\n    image = "${jobImage}"` });
  scenarios.push(s);
  const job = s.coordinator.enqueue({ name: 'never-taken', script: ['true'] });
  const volume = uniqueName('state');
  volumes.push(volume);
  // builds/ in a named volume: the host's engine would see it under /var/lib/docker/volumes/..., not /var/lib/kiln.
  const name = await startRunner(tag, configDir(s), [`${volume}:/var/lib/kiln`], ['--max-jobs', '1']);
  const r = await finish(name);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stderr,
    /the builds directory \/var\/lib\/kiln\/builds is \/.*\/_data\/builds on the host, .*-v \/var\/lib\/kiln\/builds:\/var\/lib\/kiln\/builds/,
  );
  assert.equal(job.status, 'pending', 'no job is taken');
});

test('in the container: SIGQUIT (docker kill --signal QUIT) lets the running job finish and takes no new one', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const { tag } = await runnerImage();
  const s = await scenario();
  scenarios.push(s);
  const c = s.coordinator;
  const first = c.enqueue({ name: 'long', script: ['echo started-long', 'sleep 4', 'echo finished-after-quit'] });
  const second = c.enqueue({ name: 'next', script: ['echo should-not-run'] });
  const volume = uniqueName('state');
  volumes.push(volume);
  const name = await startRunner(tag, configDir(s), [`${volume}:/var/lib/kiln`], ['--json']);
  await c.waitFor(() => first.trace.includes('started-long'), 120_000, 'the first job to start');
  await docker('kill', '--signal', 'QUIT', name);
  const r = await finish(name);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /SIGQUIT: no new jobs/);
  assert.equal(first.status, 'success', first.trace.toString());
  assert.match(first.trace.toString(), /finished-after-quit/);
  assert.equal(second.status, 'pending', 'no job is taken after SIGQUIT');
});
