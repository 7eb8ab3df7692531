// real-world-3 (test/corpus/published/real-world-3/, see its README): 77 published pipelines tried as a new user
// would, none of them written or adjusted for kiln. Each folder lints with exactly the errors in its
// expected-errors.json: none, or one "not vendored" error per remote/project/component include that this project
// cannot fetch. The includes it can have for real are vendored first, as `kiln vendor` would: GitLab's templates
// (gitlab-templates/), GNOME's citemplates (real-world-3/_citemplates/) and Debian's Salsa CI
// (real-world-3/_salsa-ci/), as listed in each folder's SOURCE.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { lintPipeline } from '../../src/pipeline/load.js';
import { PUBLISHED_DIR } from './corpus-helpers.js';

const RW3 = join(PUBLISHED_DIR, 'real-world-3');
const TEMPLATES = join(PUBLISHED_DIR, 'gitlab-templates');
const CITEMPLATES = join(RW3, '_citemplates');
const SALSA_CI = join(RW3, '_salsa-ci');
const work = mkdtempSync(join(tmpdir(), 'kiln-published-3-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Where a `.kiln-vendor/` path's real file is kept in the corpus. */
function vendoredSource(path: string): string {
  let m = /^template\/(.+)$/.exec(path);
  if (m) return join(TEMPLATES, m[1]);
  // Components of gitlab.gnome.org/GNOME/citemplates are its templates/<name>.yml (one snapshot for every version).
  m = /^component\/gitlab\.gnome\.org\/GNOME\/citemplates\/([^/]+)\/[^/]+\.yml$/.exec(path);
  if (m) return join(CITEMPLATES, 'templates', `${m[1]}.yml`);
  m = /^project\/(?:GNOME|gnome)\/citemplates\/HEAD\/(.+)$/.exec(path);
  if (m) return join(CITEMPLATES, m[1]);
  // Debian's Salsa CI (salsa-ci-team/pipeline at master): _salsa-ci/.
  m = /^remote\/salsa\.debian\.org\/salsa-ci-team\/pipeline\/raw\/master\/(.+)$/.exec(path);
  if (m) return join(SALSA_CI, m[1]);
  throw new Error(`no real file for .kiln-vendor/${path}`);
}

function sourceField(text: string, key: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith(`${key}: `));
  return line ? line.slice(key.length + 2).split(', ') : [];
}

const folders = readdirSync(RW3)
  .filter((d) => existsSync(join(RW3, d, '.gitlab-ci.yml')))
  .sort();

test('real-world-3 has the 77 pipelines tried', () => assert.equal(folders.length, 77));

for (const folder of folders) {
  test(`real-world-3 ${folder}: lints with exactly the expected errors`, async () => {
    const dir = join(work, folder);
    cpSync(join(RW3, folder), dir, { recursive: true });
    const source = readFileSync(join(dir, 'SOURCE'), 'utf8');
    for (const f of sourceField(source, 'files')) assert.ok(existsSync(join(dir, f)), `SOURCE names ${f}`);
    for (const v of sourceField(source, 'vendored')) {
      const to = join(dir, '.kiln-vendor', v);
      mkdirSync(dirname(to), { recursive: true });
      cpSync(vendoredSource(v), to);
    }
    const expected = JSON.parse(readFileSync(join(dir, 'expected-errors.json'), 'utf8')) as string[];
    for (const e of expected) assert.match(e, /is not vendored|are not vendored/, 'only missing includes are expected');
    const errors = await lintPipeline({ projectDir: dir, ref: 'main', source: 'push', defaultBranch: 'main' });
    assert.deepEqual(
      errors.map((e) => e.message),
      expected,
    );
  });
}
