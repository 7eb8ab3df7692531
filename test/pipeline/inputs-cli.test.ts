// `--input` and `--inputs-file` on `kiln jobs` / `kiln lint`, end to end through bin/kiln.js (GitLab: inputs for a
// pipeline are the main file's spec:inputs; docs ci/inputs/_index.md "For a pipeline").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIR = join(ROOT, 'test', 'pipeline', 'fixtures', 'features', 'inputs-main');

function kiln(args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'kiln.js'), ...args, '-C', DIR, '--ref', 'main'], {
    encoding: 'utf8',
    env: { ...process.env, KILN_FROM_SOURCE: '1' },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('kiln jobs --inputs-file (JSON, YAML) and --input (wins over the file)', () => {
  const r = kiln(['jobs', '--json', '--inputs-file', join(DIR, 'inputs.json'), '--input', 'deploy-stage=ship']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(Object.keys(j.jobs), ['build: [amd64]', 'build: [arm64]', 'deploy']);
  assert.equal(j.jobs.deploy.stage, 'ship');
  const y = kiln(['jobs', '--json', '--inputs-file', join(DIR, 'inputs.yml'), '--input', 'deploy-stage=release']);
  assert.equal(JSON.parse(y.out).jobs.deploy.stage, 'release');
  const fromYaml = kiln(['jobs', '--json', '--inputs-file', join(DIR, 'inputs.yml')]);
  assert.equal(JSON.parse(fromYaml.out).jobs.deploy.stage, 'ship');
});

test('kiln lint: a bad --input value is an error naming the input; a malformed flag is a usage error', () => {
  const bad = kiln(['lint', '--input', 'dry-run=maybe']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /`dry-run` input: provided value is not a boolean/);
  const usage = kiln(['lint', '--input', 'novalue']);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /--input expects NAME=VALUE/);
});
