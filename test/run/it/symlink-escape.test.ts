// Issue 15 item 3: host files must not enter artifacts, caches or dotenv reports through a symlinked
// directory (only the last path component used to be checked). The Docker executor collects through the same
// code on the host; test/docker/collect.test.ts runs the same escape in a container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { job, makeProject, parseSummary, readLog, runKiln } from '../helpers/project.js';

test('artifacts, globs, caches and dotenv reports through a symlink leading out are refused, naming the path', async () => {
  const host = await mkdtemp(join(tmpdir(), 'kiln-hostfiles-'));
  await writeFile(join(host, 'secret.env'), 'HOST_TOKEN=from-the-host\n');
  const yaml = `
variables:
  HOST: "${host}"
stages: [build, test]
through-dir:
  stage: build
  script: [ln -s "$HOST" out]
  artifacts:
    paths: [out/secret.env]
through-relative:
  stage: build
  script:
    - mkdir -p a/b
    - ln -s "$(realpath --relative-to=a/b "$HOST")" a/b/up
  artifacts:
    reports:
      dotenv: a/b/up/secret.env
through-glob:
  stage: build
  script: [ln -s "$HOST" e2]
  artifacts:
    paths: ["e2/*"]
through-cache:
  stage: build
  script: [ln -s "$HOST" c]
  cache:
    key: k
    paths: [c/secret.env]
reader:
  stage: test
  when: always
  cache:
    key: k
    paths: [c/secret.env]
    policy: pull
  script:
    - test -z "$HOST_TOKEN"
    - test ! -e c/secret.env
    - test ! -e out/secret.env
`;
  const dir = await makeProject({ '.gitlab-ci.yml': yaml });
  const r = await runKiln(['run', '--dir', dir, '--json']);
  const s = parseSummary(r.stdout);
  for (const [name, path] of [
    ['through-dir', 'out/secret.env'],
    ['through-relative', 'a/b/up/secret.env'],
    ['through-glob', 'e2/secret.env'],
  ]) {
    const j = job(s, name);
    assert.equal(j.status, 'failed', `${name} must fail`);
    assert.ok(j.message?.includes(`"${path}" goes through a symlink`), `${name}: ${j.message}`);
  }
  assert.match(
    await readLog(s, 'through-cache'),
    /cannot save cache k: cache:paths: "c\/secret.env" goes through a symlink/,
  );
  assert.equal(job(s, 'reader').status, 'success', await readLog(s, 'reader'));
  assert.doesNotMatch(JSON.stringify(s), /from-the-host/);
});
