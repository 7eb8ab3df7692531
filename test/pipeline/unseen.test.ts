// Defects found by linting published pipelines that no one on the project had tried (test/corpus/published/
// real-world-3/, see its README): each case reduced to a minimal pipeline, with GitLab's documented behaviour.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { lintPipeline, loadPipeline, type LoadOptions } from '../../src/pipeline/load.js';

const work = mkdtempSync(join(tmpdir(), 'kiln-unseen-'));
after(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

/** A project folder holding `files` (path → text). */
function project(files: Record<string, string>): string {
  const dir = join(work, `p${++n}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

const context = (dir: string, extra: Partial<LoadOptions> = {}): LoadOptions => ({
  projectDir: dir,
  ref: 'main',
  source: 'push',
  defaultBranch: 'main',
  beforeSha: '0'.repeat(40),
  projectUrl: 'https://gitlab.example.com/group/project',
  ...extra,
});

const messages = async (dir: string, extra: Partial<LoadOptions> = {}) =>
  (await lintPipeline(context(dir, extra))).map((e) => e.message);

test('a !reference inside include:inputs stays a reference where the input is interpolated (gnome-build-meta)', async () => {
  // GitLab reads include:inputs with its YAML loader: the tag is a reference, resolved after includes like any
  // other (docs: ci/yaml/yaml_optimization.md "!reference tags"; nested arrays in rules are flattened).
  const dir = project({
    '.gitlab-ci.yml': [
      'include:',
      '  - local: lint.yml',
      '    inputs:',
      '      extra-rules:',
      '        - !reference [.only-main, rules]',
      '.only-main:',
      '  rules:',
      '    - if: $CI_COMMIT_BRANCH == "main"',
      '      when: manual',
      '',
    ].join('\n'),
    'lint.yml': [
      'spec:',
      '  inputs:',
      '    extra-rules:',
      '      type: array',
      '      default: []',
      '---',
      'lint:',
      '  script: echo',
      '  rules:',
      '    - "$[[ inputs.extra-rules ]]"',
      '    - changes: ["*.md"]',
      '',
    ].join('\n'),
  });
  assert.deepEqual(await messages(dir), []);
  const main = await loadPipeline(context(dir));
  assert.deepEqual(
    main.jobs.map((j) => [j.name, j.when]),
    [['lint', 'manual']],
  );
  const other = await loadPipeline(context(dir, { ref: 'other' }));
  assert.deepEqual(
    other.jobs.map((j) => [j.name, j.when]),
    [['lint', 'on_success']],
    'on another branch the referenced rule does not match; the changes rule does (a new branch)',
  );
});

test('a plain number with a leading zero is read as Psych reads it: octal when every digit is 0-7, else a string', async () => {
  // GitLab docs (ci/variables): "VAR1: 012345 is interpreted as an octal value, so the value becomes 5349",
  // "VAR1: 019 is parsed as the string "019"", "VAR1: "012345" is parsed as a string".
  const dir = project({
    '.gitlab-ci.yml': [
      'variables:',
      '  OCTAL: 012345',
      '  NOT_OCTAL: 019',
      '  QUOTED: "012345"',
      '  NEGATIVE: -017',
      '  ZERO: 0',
      '  PLAIN: 12345',
      'job:',
      '  script: echo',
      '',
    ].join('\n'),
  });
  const p = await loadPipeline(context(dir));
  const v = Object.fromEntries(
    ['OCTAL', 'NOT_OCTAL', 'QUOTED', 'NEGATIVE', 'ZERO', 'PLAIN'].map((k) => [k, p.jobs[0].variables[k]?.value]),
  );
  assert.deepEqual(v, {
    OCTAL: '5349',
    NOT_OCTAL: '019',
    QUOTED: '012345',
    NEGATIVE: '-15',
    ZERO: '0',
    PLAIN: '12345',
  });
});

test('a job name longer than 255 characters is refused, as GitLab does; a hidden one is not a job', async () => {
  // GitLab's job entry: "name is too long (maximum is 255 characters)" (docs: ci/jobs, job name limitations).
  const long = 'j'.repeat(256);
  const dir = project({
    '.gitlab-ci.yml': [
      `${long}:`,
      '  script: echo',
      `${'k'.repeat(255)}:`,
      '  script: echo',
      `.${'h'.repeat(300)}:`,
      '  script: echo',
      `${'é'.repeat(255)}:`,
      '  script: echo',
      '',
    ].join('\n'),
  });
  assert.deepEqual(await messages(dir), [
    `.gitlab-ci.yml:1:1: jobs:${long}: name is too long (maximum is 255 characters)`,
  ]);
});

test('coverage must be a regular expression between slashes, checked when the file is read', async () => {
  // GitLab docs (CI/CD YAML reference, `coverage`): "An RE2 regular expression. Must start and end with `/`."
  const dir = project({
    '.gitlab-ci.yml': [
      'good:',
      '  script: echo',
      "  coverage: '/Code coverage: \\d+(?:\\.\\d+)?/'",
      'plain:',
      '  script: echo',
      "  coverage: 'total: 80%'",
      'broken:',
      '  script: echo',
      "  coverage: '/total: (\\d+/'",
      '',
    ].join('\n'),
  });
  const errors = await messages(dir);
  assert.equal(errors.length, 2, errors.join('\n'));
  assert.match(
    errors[0],
    /^\.gitlab-ci\.yml:6:13: jobs:plain:coverage: should be a regular expression between slashes/,
  );
  assert.match(errors[1], /^\.gitlab-ci\.yml:9:13: jobs:broken:coverage: /);
});

test('cache:key and cache:key:prefix cannot contain "/" or be only dots, as GitLab documents', async () => {
  // GitLab docs (CI/CD YAML reference, `cache:key`): the value can't contain "The `/` character, or the equivalent
  // URI-encoded `%2F`" nor be "Only the `.` character (any number), or the equivalent URI-encoded `%2E`".
  const job = (name: string, key: string) => [
    `${name}:`,
    '  script: echo',
    '  cache:',
    `    key: ${key}`,
    '    paths: [x]',
  ];
  const dir = project({
    '.gitlab-ci.yml': [
      ...job('ok', 'deps-$CI_COMMIT_REF_SLUG'),
      ...job('slash', 'a/b'),
      ...job('encoded', 'a%2fb'),
      ...job('dots', '".."'),
      ...job('encoded-dots', '"%2E%2e"'),
      ...job('dotted-name', 'v1.2'),
      'prefix:',
      '  script: echo',
      '  cache:',
      '    key:',
      '      files: [Gemfile.lock]',
      '      prefix: a/b',
      '    paths: [x]',
      '',
    ].join('\n'),
  });
  assert.deepEqual(await messages(dir), [
    '.gitlab-ci.yml:9:10: jobs:slash:cache:key: cannot contain the "/" character (or %2F)',
    '.gitlab-ci.yml:14:10: jobs:encoded:cache:key: cannot contain the "/" character (or %2F)',
    '.gitlab-ci.yml:19:10: jobs:dots:cache:key: cannot be made only of "." characters (or %2E)',
    '.gitlab-ci.yml:24:10: jobs:encoded-dots:cache:key: cannot be made only of "." characters (or %2E)',
    '.gitlab-ci.yml:36:15: jobs:prefix:cache:key:prefix: cannot contain the "/" character (or %2F)',
  ]);
});

test('start_in is at most one week, in a job and in its rules', async () => {
  // GitLab docs (CI/CD YAML reference, `start_in`): "Must be less than or equal to one week."
  const dir = project({
    '.gitlab-ci.yml': [
      'week:',
      '  script: echo',
      '  when: delayed',
      '  start_in: 1 week',
      'fortnight:',
      '  script: echo',
      '  when: delayed',
      '  start_in: 2 weeks',
      'ruled:',
      '  script: echo',
      '  rules:',
      '    - when: delayed',
      '      start_in: 8 days',
      '',
    ].join('\n'),
  });
  assert.deepEqual(await messages(dir), [
    '.gitlab-ci.yml:8:13: jobs:fortnight:start_in: should not exceed one week',
    '.gitlab-ci.yml:13:17: jobs:ruled:rules:0:start_in: should not exceed one week',
  ]);
});

test('environment names use only the characters GitLab allows', async () => {
  // GitLab docs (CI/CD YAML reference, `environment:name`): "Plain text, including letters, digits, spaces, and
  // these characters: `-`, `_`, `/`, `$`, `{`, `}`", or CI/CD variables. (A `.` is accepted too, as by GitLab's
  // check; shell expansions such as `${VAR:-dev}` are not.)
  const job = (name: string, env: string) => [`${name}:`, '  script: echo', `  environment: ${env}`];
  const dir = project({
    '.gitlab-ci.yml': [
      ...job('ok', 'review/$CI_COMMIT_REF_SLUG'),
      ...job('braces', '"review/${CI_COMMIT_REF_SLUG} app"'),
      ...job('dotted', 'prod.example'),
      ...job('colon', '"review:app"'),
      'hash:',
      '  script: echo',
      '  environment:',
      '    name: ${TF_ENV:-dev}',
      '',
    ].join('\n'),
  });
  assert.deepEqual(await messages(dir), [
    ".gitlab-ci.yml:12:16: jobs:colon:environment: can contain only letters, digits, spaces and '-', '_', '/', '$', '{', '}', '.', got \"review:app\"",
    ".gitlab-ci.yml:16:11: jobs:hash:environment:name: can contain only letters, digits, spaces and '-', '_', '/', '$', '{', '}', '.', got \"${TF_ENV:-dev}\"",
  ]);
});

test('release needs a tag_name, as GitLab documents', async () => {
  // GitLab docs (CI/CD YAML reference, `release:tag_name`): "Required. The Git tag for the release."
  const dir = project({
    '.gitlab-ci.yml': [
      'good:',
      '  script: echo',
      '  release:',
      '    tag_name: $CI_COMMIT_TAG',
      '    description: notes',
      'untagged:',
      '  script: echo',
      '  release:',
      '    description: notes',
      'text:',
      '  script: echo',
      '  release: v1',
      '',
    ].join('\n'),
  });
  assert.deepEqual(await messages(dir), [
    '.gitlab-ci.yml:9:5: jobs:untagged:release: tag_name is required',
    '.gitlab-ci.yml:12:12: jobs:text:release: should be a hash, got a string',
  ]);
});

test('include:local names a .yml or .yaml file, as GitLab documents', async () => {
  // GitLab docs (CI/CD YAML reference, `include:local`): "The YAML file must have the extension `.yml` or `.yaml`."
  const dir = project({
    '.gitlab-ci.yml': ['include:', '  - local: ci.conf', '  - ci/UPPER.YML', 'job:', '  script: echo', ''].join('\n'),
    'ci.conf': 'other:\n  script: echo\n',
    'ci/UPPER.YML': 'upper:\n  script: echo\n',
  });
  assert.deepEqual(await messages(dir), [
    '.gitlab-ci.yml:2:12: include:0:local: included file `ci.conf` does not have YAML extension (.yml or .yaml)',
  ]);
});
