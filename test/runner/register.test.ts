// `kiln runner register | verify | unregister | list` against the coordinator double: glrt- tokens are checked
// with runners/verify, legacy registration tokens exchanged with POST /runners; kiln.toml gets the entry with
// mode 0600 and the user's other text kept; tokens never appear in any output.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln, RUNNER_TOKEN, scenario, type Scenario } from './helpers/setup.js';

let s: Scenario;
after(async () => s?.coordinator.stop());

test('register with a glrt- token, list, verify, unregister', async () => {
  s = await scenario();
  const file = join(s.dir, 'fresh', 'kiln.toml');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(s.dir, 'fresh'));
  writeFileSync(file, '# my settings\nmasked = ["NUGET_TOKEN"]\n', { mode: 0o644 });
  const reg = await kiln([
    'runner',
    'register',
    '-c',
    file,
    '--url',
    s.coordinator.url,
    '--token',
    RUNNER_TOKEN,
    '--name',
    'build-01',
    '--json',
  ]).done;
  assert.equal(reg.code, 0, reg.stderr);
  assert.doesNotMatch(reg.stdout + reg.stderr, /kilnTestToken/);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^# my settings\nmasked = \["NUGET_TOKEN"\]\n\n\[\[runners\]\]\n {2}name = "build-01"\n/);
  assert.match(text, /token = "glrt-kilnTestToken_0123456789"/);
  assert.match(text, /id = 12/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(JSON.parse(reg.stdout).runner.token, 'glrt-[MASKED]');

  const list = await kiln(['runner', 'list', '-c', file, '--json']).done;
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(
    JSON.parse(list.stdout).runners.map((r: { name: string; token: string }) => [r.name, r.token]),
    [['build-01', 'glrt-[MASKED]']],
  );

  const ok = await kiln(['runner', 'verify', '-c', file]).done;
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /valid {3}build-01/);

  // A wrong token: refused, nothing written.
  const before = readFileSync(file, 'utf8');
  const bad = await kiln(['runner', 'register', '-c', file, '--url', s.coordinator.url, '--token', 'glrt-wrong']).done;
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /not valid \(403/);
  assert.equal(readFileSync(file, 'utf8'), before);

  // Once GitLab forgets the token, verify says so (exit 1) and --delete removes the entry.
  s.coordinator.runnerTokens.delete(RUNNER_TOKEN);
  const gone = await kiln(['runner', 'verify', '-c', file, '--delete']).done;
  assert.equal(gone.code, 1);
  assert.match(gone.stdout, /INVALID build-01/);
  assert.equal(readFileSync(file, 'utf8'), '# my settings\nmasked = ["NUGET_TOKEN"]\n');
  s.coordinator.runnerTokens.add(RUNNER_TOKEN);
});

test('legacy registration token: POST /runners gives the token that is stored; unregister deletes it', async () => {
  const file = join(s.dir, 'legacy.toml');
  const reg = await kiln([
    'runner',
    'register',
    '-c',
    file,
    '--url',
    s.coordinator.url,
    '--token',
    s.coordinator.registrationToken,
    '--name',
    'old-style',
    '--tag-list',
    'docker-uos',
    '--executor',
    'docker',
    '--docker-image',
    'debian:bullseye',
  ]).done;
  assert.equal(reg.code, 0, reg.stderr);
  const text = readFileSync(file, 'utf8');
  const token = /token = "(legacy-[0-9a-f]+)"/.exec(text)?.[1];
  assert.ok(token && s.coordinator.runnerTokens.has(token), text);
  assert.match(text, /\[runners\.docker\]\n {4}image = "debian:bullseye"/);
  assert.doesNotMatch(reg.stdout + reg.stderr, new RegExp(token!));
  const un = await kiln(['runner', 'unregister', '-c', file, '--name', 'old-style']).done;
  assert.equal(un.code, 0, un.stderr);
  assert.equal(s.coordinator.runnerTokens.has(token!), false);
  assert.doesNotMatch(readFileSync(file, 'utf8'), /runners/);
  const wrong = await kiln(['runner', 'register', '-c', file, '--url', s.coordinator.url, '--token', 'GR-nope']).done;
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /refused \(403: check the registration token\)/);
});
