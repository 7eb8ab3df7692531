import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { join, resolve, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { gitIn, job, parseSummary, readLog, runKiln } from '../helpers/project.js';

const example = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples/hello');

test('the bundled example (examples/hello) runs green with the shell executor, and its cache works', async () => {
  const dir = join(await mkdtemp(join(tmpdir(), 'kiln-example-')), 'hello');
  await cp(example, dir, { recursive: true, filter: (src) => !src.includes('/.kiln') });
  gitIn(dir, 'init', '-q', '-b', 'main');
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-q', '-m', 'example');
  const first = await runKiln(['run', '--dir', dir, '--json']);
  assert.equal(first.code, 0, first.stderr);
  const s1 = parseSummary(first.stdout);
  assert.deepEqual(
    s1.jobs.map((j) => [j.name, j.status]),
    [
      ['build', 'success'],
      ['test', 'success'],
      ['lint', 'success'],
      ['package', 'success'],
      ['verify', 'success'],
    ],
  );
  assert.deepEqual(job(s1, 'test').junit, { tests: 3, failures: 0, errors: 0, skipped: 0 });
  assert.deepEqual(job(s1, 'package').artifacts!.dotenv, ['PACKAGE']);
  assert.match(await readLog(s1, 'verify'), /Hello, verified!/);
  const second = await runKiln(['run', '--dir', dir, '--json', 'build']);
  const s2 = parseSummary(second.stdout);
  assert.equal(job(s2, 'build').cache, 'hit');
  assert.match(await readLog(s2, 'build'), /cache has 2 builds/);
});
