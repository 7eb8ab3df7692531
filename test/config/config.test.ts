// kiln.toml: precedence (CLI > project > user > defaults), origins, positioned errors, value validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadConfig, parseVolume, readConfigText, ValueProblem } from '../../src/config/index.js';
import { ConfigError, ConfigErrors } from '../../src/errors.js';

function dirs(user: string | undefined, project: string | undefined): { userDir: string; projectDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'kiln-config-'));
  const userDir = join(root, 'user');
  const projectDir = join(root, 'project');
  mkdirSync(userDir);
  mkdirSync(projectDir);
  if (user !== undefined) writeFileSync(join(userDir, 'kiln.toml'), user);
  if (project !== undefined) writeFileSync(join(projectDir, 'kiln.toml'), project);
  return { userDir, projectDir };
}

const USER = `concurrent = 2
masked = ["NUGET_TOKEN"]

[runner]
executor = "docker"
environment = ["A=user", "B=user"]

[docker]
image = "user/image:1"
memory = "512m"
volumes = ["/opt/toolchain:/opt/toolchain:ro", "nuget:/root/.nuget/packages"]

[abi.targets.uos20]
glibc = "2.28"
`;

const PROJECT = `# project settings
[docker]
image = "project/image:2"
cpus = "1.5"
pull_policy = ["never"]

[abi.targets.kylin10]
glibc = "2.31"
`;

test('precedence: CLI > project > user > defaults, with the origin of every value', () => {
  const { userDir, projectDir } = dirs(USER, PROJECT);
  const { config, origins, files } = loadConfig({ projectDir, userConfigDir: userDir, cli: { concurrent: 8 } });
  assert.deepEqual(files, [join(userDir, 'kiln.toml'), join(projectDir, 'kiln.toml')]);
  assert.equal(config.concurrent, 8);
  assert.equal(origins.concurrent.source, 'cli');
  assert.equal(config.docker.image, 'project/image:2');
  assert.deepEqual(origins['docker.image'], {
    source: 'project',
    file: join(projectDir, 'kiln.toml'),
    position: { file: join(projectDir, 'kiln.toml'), line: 3, col: 1 },
  });
  assert.equal(config.docker.memory, 512 * 1024 * 1024);
  assert.equal(origins['docker.memory'].source, 'user');
  assert.equal(origins['docker.memory'].position?.line, 10);
  assert.equal(config.docker.cpus, 1.5);
  assert.deepEqual(config.docker.pullPolicy, ['never']);
  assert.equal(config.runner.executor, 'docker');
  assert.equal(config.runner.shell, 'bash');
  assert.equal(origins['runner.shell'].source, 'default');
  assert.deepEqual(config.masked, ['NUGET_TOKEN']);
  assert.deepEqual(
    config.docker.volumes.map((v) => v.kind),
    ['bind', 'named'],
  );
  // abi.targets merge per target across files.
  assert.deepEqual(Object.keys(config.abiTargets).sort(), ['kylin10', 'uos20']);
  assert.equal(origins['abi.targets.uos20'].source, 'user');
  assert.equal(origins['abi.targets.kylin10'].source, 'project');

  const cli = loadConfig({
    projectDir,
    userConfigDir: userDir,
    cli: { runner: { executor: 'shell' }, docker: { image: 'cli/img' } },
  });
  assert.equal(cli.config.runner.executor, 'shell');
  assert.equal(cli.config.docker.image, 'cli/img');
  assert.equal(cli.origins['docker.image'].source, 'cli');
});

test('no files: built-in defaults', () => {
  const { userDir, projectDir } = dirs(undefined, undefined);
  const { config, files, origins } = loadConfig({ projectDir, userConfigDir: userDir });
  assert.deepEqual(files, []);
  assert.equal(config.runner.executor, 'shell');
  assert.deepEqual(config.docker.pullPolicy, ['if-not-present']);
  assert.equal(origins['runner.executor'].source, 'default');
});

test('XDG_CONFIG_HOME locates the user config', () => {
  const { userDir, projectDir } = dirs(undefined, undefined);
  const xdg = join(userDir, 'xdg');
  mkdirSync(join(xdg, 'kiln'), { recursive: true });
  writeFileSync(join(xdg, 'kiln', 'kiln.toml'), 'concurrent = 3\n');
  const { config } = loadConfig({ projectDir, env: { XDG_CONFIG_HOME: xdg } });
  assert.equal(config.concurrent, 3);
});

test('unknown key: ConfigError with file:line:col and key path', () => {
  const text = 'concurrent = 2\n\n[docker]\nimage = "x"\n  privilegd = true\n';
  assert.throws(
    () => readConfigText(text, '/p/kiln.toml'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.position, { file: '/p/kiln.toml', line: 5, col: 3 });
      assert.deepEqual(e.keyPath, ['docker', 'privilegd']);
      assert.match(e.message, /^\/p\/kiln\.toml:5:3: docker:privilegd: unknown key "privilegd"/);
      return true;
    },
  );
  assert.throws(
    () => readConfigText('[dockr]\nimage = "x"\n', '/p/kiln.toml'),
    /\/p\/kiln\.toml:1:1: dockr: unknown key "dockr"/,
  );
});

test('wrong types are positioned; several problems are all reported', () => {
  const text = [
    'concurrent = "four"',
    '[runner]',
    'executor = "kubernetes"',
    'environment = ["OK=1", "broken"]',
    '[docker]',
    'privileged = "yes"',
    'memory = "lots"',
  ].join('\n');
  assert.throws(
    () => readConfigText(text, 'k.toml'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigErrors);
      const msgs = e.errors.map((x) => x.message);
      assert.deepEqual(msgs, [
        'k.toml:1:1: concurrent: expected a positive integer, got string',
        'k.toml:3:1: runner:executor: unknown executor "kubernetes" (expected "shell" or "docker")',
        'k.toml:4:1: runner:environment:1: "broken" is not of the form NAME=value',
        'k.toml:6:1: docker:privileged: expected true or false, got string',
        'k.toml:7:1: docker:memory: "lots" is not a size (use bytes or a number with k, m, g or t)',
      ]);
      return true;
    },
  );
});

test('TOML syntax errors carry the parser position', () => {
  assert.throws(
    () => readConfigText('[docker]\nimage = \n', 'bad.toml'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.position?.file, 'bad.toml');
      assert.equal(e.position?.line, 2);
      assert.match(e.message, /invalid TOML/);
      return true;
    },
  );
});

test('positions survive multi-line arrays and strings', () => {
  const text = [
    '[docker]',
    'volumes = [',
    '  "/a:/a:ro",',
    '  "cache:/c",',
    ']',
    '[runner]',
    'pre_build_script = """',
    'echo [not.a.table]',
    'bogus = 1',
    '"""',
    'shel = "bash"',
  ].join('\n');
  assert.throws(() => readConfigText(text, 'k.toml'), /k\.toml:11:1: runner:shel: unknown key "shel" \(did you mean/);
  const layer = readConfigText(text.replace('shel =', 'shell ='), 'k.toml');
  assert.equal(layer.get('runner.shell')?.position?.line, 11);
  assert.equal(layer.get('runner.pre_build_script')?.value, 'echo [not.a.table]\nbogus = 1\n');
});

test('GitLab Runner shape: [[runners]] with [runners.docker]; GitLab Runner keys kiln ignores are listed, typos are errors', () => {
  const text = [
    'concurrent = 2',
    '[[runners]]',
    '  name = "local"',
    '  executor = "docker"',
    '  [runners.docker]',
    '    image = "debian:bookworm"',
    '    volumes = ["/cache"]',
    '    tls_verify = false',
  ].join('\n');
  assert.throws(
    () => readConfigText(text.replace('tls_verify', 'tls_verifi'), 'c.toml'),
    /c\.toml:8:5: runners:0:docker:tls_verifi: unknown key "tls_verifi" \(did you mean "tls_verify"\?\)/,
  );
  const layer = readConfigText(text, 'c.toml');
  assert.deepEqual(layer.get('ignored')?.value, [
    { key: 'runners.docker.tls_verify', position: { file: 'c.toml', line: 8, col: 5 } },
  ]);
  assert.equal(layer.get('runner.executor')?.value, 'docker');
  assert.equal(layer.get('docker.image')?.value, 'debian:bookworm');
  assert.deepEqual(layer.get('docker.image')?.position, { file: 'c.toml', line: 6, col: 5 });
  assert.deepEqual(layer.get('docker.volumes')?.value, [{ kind: 'anonymous', target: '/cache', raw: '/cache' }]);
});

test('volume specs: bind, named, anonymous; invalid ones rejected with the index', () => {
  assert.deepEqual(parseVolume('/opt/tc:/opt/tc:ro'), {
    kind: 'bind',
    source: '/opt/tc',
    target: '/opt/tc',
    readOnly: true,
    raw: '/opt/tc:/opt/tc:ro',
  });
  assert.deepEqual(parseVolume('nuget:/root/.nuget/packages'), {
    kind: 'named',
    name: 'nuget',
    target: '/root/.nuget/packages',
    readOnly: false,
    raw: 'nuget:/root/.nuget/packages',
  });
  assert.deepEqual(parseVolume('/cache'), { kind: 'anonymous', target: '/cache', raw: '/cache' });
  assert.equal(parseVolume('/a:/b:rw,z').kind, 'bind');
  for (const bad of ['relative', '/a:rel', '/a:/b:rx', '/a:/b:ro:x', 'bad name!:/x', '/a::/b', '', '/a:/b:ro,rw']) {
    assert.throws(() => parseVolume(bad), ValueProblem, bad);
  }
  assert.throws(
    () => readConfigText('[docker]\nvolumes = ["/ok:/ok", "/a:/b:maybe"]\n', 'v.toml'),
    /v\.toml:2:1: docker:volumes:1: invalid volume "\/a:\/b:maybe": unknown mode "maybe"/,
  );
  // Relative bind sources resolve against the config file's directory.
  const layer = readConfigText('[docker]\nvolumes = ["./tc:/opt/tc:ro"]\n', '/etc/kiln/kiln.toml');
  assert.deepEqual((layer.get('docker.volumes')?.value as { source: string }[])[0].source, '/etc/kiln/tc');
});

test('`kiln config --json` prints effective values and their origins; bad files exit 1 with the position', () => {
  const { userDir, projectDir } = dirs(USER, PROJECT);
  const env = { ...process.env, KILN_FROM_SOURCE: '1', XDG_CONFIG_HOME: join(userDir, 'none') };
  const r = spawnSync(
    process.execPath,
    ['bin/kiln.js', 'config', '--json', '-C', projectDir, '--user-config-dir', userDir],
    { encoding: 'utf8', env },
  );
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    files: string[];
    settings: { key: string; value: unknown; source: string; position?: { line: number } }[];
  };
  const image = out.settings.find((s) => s.key === 'docker.image');
  assert.deepEqual(
    { value: image?.value, source: image?.source, line: image?.position?.line },
    { value: 'project/image:2', source: 'project', line: 3 },
  );
  const vols = out.settings.find((s) => s.key === 'docker.volumes');
  assert.deepEqual(vols?.value, ['/opt/toolchain:/opt/toolchain:ro', 'nuget:/root/.nuget/packages']);
  const human = spawnSync(process.execPath, ['bin/kiln.js', 'config', '-C', projectDir, '--user-config-dir', userDir], {
    encoding: 'utf8',
    env,
  });
  assert.match(human.stdout, /docker\.image = "project\/image:2" {4}# project \(.*kiln\.toml:3\)/);

  writeFileSync(join(projectDir, 'kiln.toml'), '[docker]\nimage = "x"\nnetwork = "host"\n');
  const bad = spawnSync(process.execPath, ['bin/kiln.js', 'config', '-C', projectDir, '--user-config-dir', userDir], {
    encoding: 'utf8',
    env,
  });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /kiln: .*project\/kiln\.toml:3:1: docker:network: unknown key "network"/);
});

test('runner.cache_pool: a whole number, default 4, 0 allowed; anything else is a positioned error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-config-pool-'));
  const env = { XDG_CONFIG_HOME: join(dir, 'no-user-config') };
  assert.equal(loadConfig({ projectDir: dir, env }).config.runner.cachePool, 4);
  writeFileSync(join(dir, 'kiln.toml'), '[runner]\ncache_pool = 0\n');
  assert.equal(loadConfig({ projectDir: dir, env }).config.runner.cachePool, 0);
  writeFileSync(join(dir, 'kiln.toml'), '[runner]\ncache_pool = -1\n');
  assert.throws(
    () => loadConfig({ projectDir: dir, env }),
    /kiln\.toml:2:\d+: runner:cache_pool: expected a whole number \(0 or more\), got -1/,
  );
});
