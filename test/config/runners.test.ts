// GitLab Runner's config.toml in kiln.toml: a file written by `gitlab-runner register` loads as it is, the keys
// kiln acts on are used, the others are listed in one warning, typos stay errors, tokens are never printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadConfig, readConfigText } from '../../src/config/index.js';
import { ignoredWarning } from '../../src/config/runners.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

function project(fixture: string): { projectDir: string; env: NodeJS.ProcessEnv } {
  const root = mkdtempSync(join(tmpdir(), 'kiln-runner-config-'));
  const projectDir = join(root, 'project');
  mkdirSync(projectDir);
  copyFileSync(join(FIXTURES, fixture), join(projectDir, 'kiln.toml'));
  return { projectDir, env: { XDG_CONFIG_HOME: join(root, 'no-user-config') } };
}

test('the config.toml `gitlab-runner register` wrote (11 errors before) loads as it is', () => {
  const { projectDir, env } = project('gitlab-runner-register.toml');
  const loaded = loadConfig({ projectDir, env });
  const c = loaded.config;
  // Acted on: kiln run takes the first runner's executor and [runners.docker] settings.
  assert.equal(c.concurrent, 1);
  assert.equal(c.checkInterval, 0);
  assert.equal(c.runner.executor, 'docker');
  assert.equal(c.docker.image, 'debian:buster-slim');
  assert.equal(c.docker.privileged, false);
  assert.deepEqual(
    c.docker.volumes.map((v) => v.raw),
    ['/cache'],
  );
  assert.equal(c.docker.shmSize, undefined, 'shm_size = 0 is GitLab Runner\'s "not set"');
  assert.equal(c.runners.length, 1);
  assert.equal(c.runners[0].name, 'debian-dotnet-docker');
  assert.equal(c.runners[0].url, 'https://gitlab.example.com');
  assert.equal(c.runners[0].token, 'glrt-HbCpfssbPSFqR_xVtxLX');
  assert.equal(c.runners[0].outputLimitBytes, 4 * 1024 * 1024);
  // Accepted without effect: one warning names each, with its line.
  assert.deepEqual(
    loaded.ignored.map((k) => `${k.key}@${k.position?.line}`),
    [
      '[session_server]@4',
      '[runners.cache.s3]@14',
      '[runners.cache.gcs]@15',
      '[runners.cache.azure]@16',
      'runners.docker.tls_verify@18',
      'runners.docker.disable_entrypoint_overwrite@21',
      'runners.docker.oom_kill_disable@22',
      'runners.docker.disable_cache@23',
    ],
  );
  const warning = ignoredWarning(loaded.ignored)!;
  assert.equal(warning.split('\n').length, 1);
  assert.match(warning, /kiln\.toml: \[session_server\] \(line 4\), .*runners\.docker\.disable_cache \(line 23\)$/);
});

test('a newer config.toml with two runners: limits, output_limit, environment; the first runner feeds kiln run', () => {
  const { projectDir, env } = project('gitlab-runner-17.toml');
  const { config, ignored } = loadConfig({ projectDir, env });
  assert.equal(config.concurrent, 4);
  assert.equal(config.runner.executor, 'shell');
  assert.deepEqual(config.runner.environment, ['DOTNET_CLI_TELEMETRY_OPTOUT=1']);
  assert.deepEqual(
    config.runners.map((r) => [r.name, r.id, r.executor, r.limit, r.outputLimitBytes]),
    [
      ['build-01', 42, 'shell', 2, 8192 * 1024],
      ['build-01-docker', 43, 'docker', 0, 4096 * 1024],
    ],
  );
  assert.equal(config.runners[1].docker.image, 'kiln-example/bullseye-build:1');
  assert.deepEqual(
    config.runners[1].docker.volumes?.map((v) => v.kind),
    ['bind', 'named', 'anonymous'],
  );
  assert.equal(config.runners[0].tokenExpiresAt, '0001-01-01T00:00:00.000Z');
  assert.ok(ignored.some((k) => k.key === '[runners.feature_flags]'));
  assert.ok(ignored.some((k) => k.key === 'connection_max_age'));
});

test('keys GitLab Runner does not have either are still errors with file:line:col', () => {
  const text = readFileSync(join(FIXTURES, 'gitlab-runner-register.toml'), 'utf8');
  assert.throws(
    () => readConfigText(text.replace('oom_kill_disable', 'oom_kill_disabled'), 'c.toml'),
    /c\.toml:22:5: runners:0:docker:oom_kill_disabled: unknown key "oom_kill_disabled" \(did you mean "oom_kill_disable"\?\)/,
  );
  assert.throws(
    () => readConfigText(text.replace('check_interval', 'check_intervall'), 'c.toml'),
    /c\.toml:2:1: check_intervall: unknown key "check_intervall" \(did you mean "check_interval"\?\)/,
  );
  assert.throws(
    () => readConfigText(text.replace('executor = "docker"', 'executor = "kubernetes"'), 'c.toml'),
    /c\.toml:11:3: runners:0:executor: unknown executor "kubernetes"/,
  );
  assert.throws(
    () => readConfigText(text.replace('[runners.cache]', '[runners.cache]\n    Typ = "s3"'), 'c.toml'),
    /runners:0:cache:Typ: unknown key "Typ" \(did you mean "Type"\?\)/,
  );
});

test('[runner] next to [[runners]]: [runner]/[docker] set kiln run, [[runners]] are the runners', () => {
  const layer = readConfigText(
    '[runner]\nexecutor = "shell"\n[[runners]]\nname = "a"\nexecutor = "docker"\n',
    'k.toml',
  );
  assert.equal(layer.get('runner.executor')?.value, 'shell');
  assert.equal((layer.get('runners')?.value as { executor: string }[])[0].executor, 'docker');
});

test('`kiln config` never prints a runner token, and warns once about ignored keys', () => {
  const { projectDir, env } = project('gitlab-runner-register.toml');
  const run = (args: string[]) =>
    spawnSync(process.execPath, ['bin/kiln.js', 'config', '-C', projectDir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env, KILN_FROM_SOURCE: '1' },
    });
  for (const args of [[], ['--json']]) {
    const r = run(args);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /HbCpfssbPSFqR/);
    assert.match(r.stdout, /glrt-\[MASKED\]/);
  }
  const human = run([]);
  assert.equal(human.stderr.match(/warning:/g)?.length, 1);
  assert.match(human.stderr, /does not use .*runners\.docker\.tls_verify \(line 18\)/);
});

test('`kiln run` with a carried-over config.toml as kiln.toml: runs, and warns once about the ignored keys', () => {
  const { projectDir, env } = project('gitlab-runner-17.toml');
  writeFileSync(
    join(projectDir, '.gitlab-ci.yml'),
    'hello:\n  script:\n    - echo "telemetry=$DOTNET_CLI_TELEMETRY_OPTOUT"\n',
  );
  const git = (...a: string[]) =>
    spawnSync('git', a, {
      cwd: projectDir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@e',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@e',
      },
    });
  git('init', '-q', '-b', 'main');
  git('add', '.gitlab-ci.yml');
  git('commit', '-q', '-m', 'init');
  const r = spawnSync(process.execPath, ['bin/kiln.js', 'run', '--dir', projectDir], {
    encoding: 'utf8',
    env: { ...process.env, ...env, KILN_FROM_SOURCE: '1' },
  });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /telemetry=1/, 'environment of the first [[runners]] entry applies');
  assert.equal(r.stderr.match(/GitLab Runner settings kiln does not use/g)?.length, 1, r.stderr);
  assert.match(r.stderr, /connection_max_age \(line 3\)/);
  assert.doesNotMatch(r.stdout + r.stderr, /abcdefghijklmnop/);
});
