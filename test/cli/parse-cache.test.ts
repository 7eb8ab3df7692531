// The parsed-YAML cache (src/pipeline/yaml/parse-cache.ts) through the built CLI (from the sources it is off: no
// release id). What is checked: a second run reads the entry and prints exactly what a fresh parse prints; a changed
// file, a damaged entry, an entry holding another text under the looked-up name (a CRC collision) and another
// release are misses, never wrong answers; KILN_NO_PARSE_CACHE=1 writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { build, makeCopy } from './helpers/built-copy.js';

/** A pipeline well over the cache's 2 kB floor, with anchors and merge keys (shared nodes in the tree). */
function pipeline(marker: string): string {
  const jobs = Array.from(
    { length: 40 },
    (_, i) =>
      `job_${i}:\n  <<: *base\n  stage: ${i % 2 ? 'build' : 'test'}\n  image: ${marker}-${i}\n  script: [echo ${i}]\n`,
  );
  return `stages: [build, test]\n.base: &base\n  image: debian:12\n  variables: { A: "1" }\n  tags: [x]\n${jobs.join('')}`;
}

test('parsed files are cached per release and text; every mismatch is a miss', (t) => {
  const root = makeCopy();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  build(root);
  const project = join(root, 'project');
  mkdirSync(project);
  spawnSync('git', ['init', '-q', '-b', 'main', project]);
  const cacheHome = join(root, 'xdg');
  const parsed = join(cacheHome, 'kiln', 'parsed');
  const kiln = (env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'kiln.js'), 'jobs', '--json', '--dir', project], {
      encoding: 'utf8',
      env: { ...process.env, KILN_FROM_SOURCE: '', XDG_CACHE_HOME: cacheHome, KILN_NO_PARSE_CACHE: '', ...env },
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const entries = () => (existsSync(parsed) ? readdirSync(parsed).sort() : []);

  writeFileSync(join(project, '.gitlab-ci.yml'), pipeline('one'));
  const fresh = kiln({ KILN_NO_PARSE_CACHE: '1' });
  assert.deepEqual(entries(), [], 'KILN_NO_PARSE_CACHE=1 writes nothing');
  assert.match(fresh, /"one-39"/);

  assert.equal(kiln(), fresh);
  assert.equal(entries().length, 1, 'the first run stores the parsed file');
  const [first] = entries();
  const text1 = readFileSync(join(project, '.gitlab-ci.yml'), 'utf8');
  assert.equal(first, `${(crc32(`.gitlab-ci.yml\0${text1}`) >>> 0).toString(16).padStart(8, '0')}-${text1.length}.v8`);
  assert.equal(kiln(), fresh, 'the second run, from the entry, prints the same');

  // The same length, another text: another entry, and the new content is what is printed.
  writeFileSync(join(project, '.gitlab-ci.yml'), pipeline('two'));
  const second = kiln();
  assert.match(second, /"two-39"/);
  assert.doesNotMatch(second, /"one-/);
  assert.equal(entries().length, 2);
  const [nameTwo] = entries().filter((n) => n !== first);

  // An entry that holds another text under the name looked up (as after a CRC collision) is not used.
  copyFileSync(join(parsed, first), join(parsed, nameTwo));
  assert.equal(kiln(), second);

  // A damaged entry is a miss: the file is parsed again and the entry replaced.
  const bytes = readFileSync(join(parsed, nameTwo));
  writeFileSync(join(parsed, nameTwo), bytes.subarray(0, bytes.length >> 1));
  assert.equal(kiln(), second);
  assert.equal(kiln(), second);

  // Entries of another release (a rebuilt kiln) are not read.
  writeFileSync(join(project, '.gitlab-ci.yml'), pipeline('one'));
  const entry = readFileSync(join(parsed, first), 'latin1');
  const release = /kiln-release:([0-9a-f]{16})/.exec(readFileSync(join(root, 'dist', 'kiln.cjs'), 'latin1'))![1];
  assert.ok(entry.includes(release), 'the entry names the release that wrote it');
  writeFileSync(join(parsed, first), Buffer.from(entry.replace(release, 'f'.repeat(16)), 'latin1'));
  assert.equal(kiln(), fresh);
  assert.ok(readFileSync(join(parsed, first), 'latin1').includes(release), 'rewritten by this release');

  // At most 200 entries: a write drops those not used for longest (the entry just used is the newest).
  for (let i = 0; i < 205; i++) {
    const f = join(parsed, `dead${String(i).padStart(4, '0')}-1.v8`);
    writeFileSync(f, 'x');
    utimesSync(f, 1000 + i, 1000 + i);
  }
  writeFileSync(join(project, '.gitlab-ci.yml'), pipeline('333'));
  assert.match(kiln(), /"333-39"/);
  const left = entries();
  assert.equal(left.length, 200);
  assert.ok(left.includes(first) && left.includes(nameTwo), 'recently used entries stay');
  assert.ok(!left.includes('dead0000-1.v8') && left.includes('dead0204-1.v8'), 'the oldest go first');
});
