// YAML shapes and `null` resets that GitLab accepts (each seen in published pipelines), and two things GitLab refuses.
// Each case states GitLab's result and where it comes from.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { lintPipeline, loadPipeline, type LoadOptions } from '../../src/pipeline/load.js';
import type { Pipeline } from '../../src/pipeline/model.js';
import { parseYaml } from '../../src/pipeline/yaml/read.js';
import { job } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'kiln-shapes-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function project(files: Record<string, string>): string {
  const dir = join(root, String(++n));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const opts = (dir: string, extra: Partial<LoadOptions> = {}): LoadOptions => ({
  projectDir: dir,
  ref: 'main',
  source: 'push',
  defaultBranch: 'main',
  projectUrl: 'https://gitlab.example.com/group/project',
  ...extra,
});

const load = (yaml: string, extra: Partial<LoadOptions> = {}): Promise<Pipeline> =>
  loadPipeline(opts(project({ '.gitlab-ci.yml': yaml }), extra));

async function errors(yaml: string): Promise<string[]> {
  return (await lintPipeline(opts(project({ '.gitlab-ci.yml': yaml })))).map((e) => e.message);
}

// GitLab: a nil keyword value is an unspecified entry (Gitlab::Config::Entry::Factory#create!), so `key: null`
// after extends / `<<` removes what was inherited (GitLab docs, `extends`: "To exclude a key from the extended
// content, you must assign it to null"); `default:` still fills an unspecified entry (Processable#overwrite_entry).
test('key: null removes a keyword inherited through extends (parallel, image, cache paths, extends itself)', async () => {
  const p = await load(`
.base:
  image: debian:12
  parallel: 3
  cache: { key: k, paths: [target/] }
  script: [make]
job:
  extends: .base
  image: null
  parallel: null
  cache: { paths: null }
plain:
  extends: null
  script: [true]
`);
  assert.deepEqual(
    p.jobs.map((j) => j.name),
    ['job', 'plain'],
    'parallel: null gives one job, not job 1/3..3/3',
  );
  const j = job(p, 'job');
  assert.equal(j.image, undefined);
  assert.equal(j.cache.length, 1);
  assert.deepEqual(j.cache[0].paths, [], 'cache: paths: null is a cache without paths');
  assert.equal(j.cache[0].key, 'k', 'the rest of the inherited cache stays (hashes merge)');
});

test('except: null from a << merge may sit next to rules (knot-resolver)', async () => {
  const p = await load(`
.build: &build
  script: [make]
  except: [tags]
archive:
  <<: *build
  except: null
  rules:
    - when: always
`);
  assert.deepEqual(
    p.jobs.map((j) => j.name),
    ['archive'],
  );
  assert.equal(job(p, 'archive').when, 'always');
});

test('a null keyword is unspecified, so default: fills it (GitLab: Processable#overwrite_entry)', async () => {
  const p = await load(`
default:
  image: alpine:3
  tags: null
job:
  image: null
  script: [true]
`);
  assert.equal(job(p, 'job').image?.name, 'alpine:3');
  assert.deepEqual(job(p, 'job').tags, [], 'default: tags: null sets no default tags');
});

test('a null item in needs is dropped (an anchored list with one empty item; xen)', async () => {
  const p = await load(`
.arm32-needs: &arm32-needs
  -
build:
  stage: build
  script: [make]
test:
  needs: *arm32-needs
  script: [make check]
both:
  needs: [build, null]
  script: [true]
`);
  assert.deepEqual(job(p, 'test').needs, [], 'needs: [null] is needs: [] (no stage ordering)');
  assert.deepEqual(
    job(p, 'both').needs?.map((x) => x.job),
    ['build'],
  );
});

test('cache: [*list_anchor] is flattened (GitLab Caches entry: [config].flatten; gitlab-shell)', async () => {
  const p = await load(`
.cached-go: &cached_go
  - key: { files: [go.mod] , prefix: golang }
    paths: [.go/pkg/mod/]
job:
  cache:
    - *cached_go
    - key: other
      paths: [x/]
  script: [go build]
`);
  const c = job(p, 'job').cache;
  assert.equal(c.length, 2);
  assert.deepEqual(c[0].key, { files: ['go.mod'], prefix: 'golang' });
  assert.equal(c[1].key, 'other');
});

// libyaml (Psych, GitLab) does not check indentation inside flow collections; cryptsetup's pipelines rely on it.
test('a flow sequence whose closing ] (or items) sit left of the key parses as with GitLab', async () => {
  const p = await load(`
job:
  script: [
  "echo a",
    "echo b"
]
  parallel:
    matrix:
      - BACKENDS: [
          "openssl",
          "gcrypt"
      ]
`);
  assert.deepEqual(
    p.jobs.map((j) => j.name),
    ['job: [openssl]', 'job: [gcrypt]'],
  );
  assert.deepEqual(job(p, 'job: [openssl]').script, ['echo a', 'echo b']);
});

test('a re-indented flow line still reports errors at the column as written; an unclosed flow stays an error', () => {
  assert.throws(
    () => parseYaml('job:\n  script: [\n"a",\n *nope\n]\n', 'f.yml'),
    (e: Error) => e.message.startsWith('f.yml:4:2:') && /unknown alias \*nope/.test(e.message),
    'column as written',
  );
  assert.throws(() => parseYaml('job:\n  script: [\n  "x"\n', 'f.yml'), /syntax error/);
});

test('re-indenting is bounded: a huge flow list left of its key gives up with the syntax error', () => {
  const lines = ['job:', '  script: ['];
  for (let i = 0; i < 20000; i++) lines.push(`"echo ${i}",`);
  lines.push(']');
  assert.throws(() => parseYaml(`${lines.join('\n')}\n`, 'h.yml'), /h\.yml:3:1: syntax error: Flow sequence/);
  const few = ['job:', '  script: ['];
  for (let i = 0; i < 60; i++) few.push(`"echo ${i}",`);
  few.push(']');
  const r = parseYaml(`${few.join('\n')}\n`, 'f.yml');
  assert.ok(r?.kind === 'map');
  const script = r.entries.get('job')?.value;
  assert.ok(script?.kind === 'map');
  const items = script.entries.get('script')?.value;
  assert.equal(items?.kind === 'seq' ? items.items.length : -1, 60, '60 items left of the key: one pass each');
});

test('aliases name the closest anchor before them, also when an anchor name is used twice', () => {
  const r = parseYaml('a: &x 1\nb: *x\nc: &x 2\nd: *x\n', 'f.yml');
  assert.ok(r?.kind === 'map');
  assert.deepEqual(
    [...r.entries.values()].map((e) => (e.value.kind === 'scalar' ? e.value.value : null)),
    [1, 1, 2, 2],
  );
});

test('retry:when takes every failure reason GitLab knows (runner_interrupted), still refuses unknown ones', async () => {
  const p = await load(
    'job:\n  script: [true]\n  retry: { max: 2, when: [runner_interrupted, runner_system_failure] }\n',
  );
  assert.deepEqual(job(p, 'job').retry.when, ['runner_interrupted', 'runner_system_failure']);
  assert.match(
    (await errors('job:\n  script: [true]\n  retry: { max: 1, when: [runner_exploded] }\n')).join('\n'),
    /unknown value "runner_exploded"/,
  );
});

test('cache:policy: $VAR is expanded when the job is created; empty is pull-push; a non-policy is an error', async () => {
  const yaml = (v: string) =>
    `variables:\n  CACHE_POLICY: "${v}"\njob:\n  script: [true]\n  cache: { key: k, paths: [x/], policy: $CACHE_POLICY }\n`;
  assert.equal(job(await load(yaml('push')), 'job').cache[0].policy, 'push');
  assert.equal(job(await load(yaml('')), 'job').cache[0].policy, 'pull-push');
  assert.equal(
    job(await load(yaml('pull'), { variables: { CACHE_POLICY: { value: 'push', expand: true } } }), 'job').cache[0]
      .policy,
    'push',
    'a --variable wins',
  );
  assert.equal(job(await load(yaml('push')), 'job').cache[0].policyText, undefined);
  assert.match(
    (await errors(yaml('sometimes'))).join('\n'),
    /"\$CACHE_POLICY" expands to "sometimes", which is not a cache policy/,
  );
});

test('cache:key:files takes globs; cache:key:files_commits is accepted; not both', async () => {
  const p = await load(`
a:
  script: [true]
  cache: { key: { files: ["**/package-lock.json"] }, paths: [node_modules/] }
b:
  script: [true]
  cache: { key: { files_commits: [Gemfile.lock], prefix: gems }, paths: [vendor/] }
`);
  assert.deepEqual(job(p, 'a').cache[0].key, { files: ['**/package-lock.json'] });
  assert.deepEqual(job(p, 'b').cache[0].key, { files: ['Gemfile.lock'], prefix: 'gems', commits: true });
  assert.match(
    (await errors('c:\n  script: [true]\n  cache: { key: { files: [a], files_commits: [b] }, paths: [x] }\n')).join(
      '\n',
    ),
    /files_commits: may not be used with files/,
  );
});

test('nested arrays in stages are flattened (anchored stage lists)', async () => {
  const p = await load(`
.early: &early [lint, build]
stages:
  - *early
  - [test]
  - deploy
job:
  stage: lint
  script: [true]
`);
  assert.deepEqual(p.stages, ['.pre', 'lint', 'build', 'test', 'deploy', '.post']);
});

test('workflow:rules tolerates start_in, allow_failure and needs (GitLab Entry::Workflow allowed_keys)', async () => {
  const p = await load(`
workflow:
  rules:
    - if: $CI_COMMIT_BRANCH
      allow_failure: true
      needs: [job]
job:
  script: [true]
`);
  assert.equal(p.workflow?.created, true);
  assert.deepEqual(
    p.jobs.map((j) => j.name),
    ['job'],
  );
});

test('$[[ matrix.X ]] in needs:parallel:matrix needs the instance with the same value (one-to-one)', async () => {
  const p = await load(`
build:
  stage: build
  script: [make]
  parallel: { matrix: [{ ARCH: [amd64, arm64], OS: [linux] }] }
test:
  script: [make check]
  parallel: { matrix: [{ ARCH: [amd64, arm64], OS: [linux] }] }
  needs:
    - job: build
      parallel: { matrix: [{ ARCH: "$[[ matrix.ARCH ]]", OS: "$[[ matrix.OS ]]" }] }
`);
  assert.deepEqual(
    job(p, 'test: [amd64, linux]').needs?.map((x) => x.job),
    ['build: [amd64, linux]'],
  );
  assert.deepEqual(
    job(p, 'test: [arm64, linux]').needs?.map((x) => x.job),
    ['build: [arm64, linux]'],
  );
  const bad = await errors(`
build:
  script: [make]
  parallel: { matrix: [{ ARCH: [amd64] }] }
test:
  script: [make check]
  needs: [{ job: build, parallel: { matrix: [{ ARCH: "$[[ matrix.ARCH ]]" }] } }]
`);
  assert.match(bad.join('\n'), /job "test" has no parallel:matrix to take ARCH from/);
});

// GitLab Processable#compose!: with workflow:rules, the only: [branches, tags] default is dropped. An MR pipeline
// then has every rule-less job.
test('with workflow:rules a job without only/except/rules is created in merge request pipelines too', async () => {
  const yaml = `
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH
build:
  stage: build
  script: [make]
test:
  script: [make check]
  needs: [build]
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
`;
  const dir = project({ '.gitlab-ci.yml': yaml });
  const mr = await loadPipeline(opts(dir, { source: 'merge_request_event' }));
  assert.deepEqual(
    mr.jobs.map((j) => j.name),
    ['build', 'test'],
  );
  // Without workflow:rules the default applies: an MR pipeline has no `build`.
  const noWorkflow = await loadPipeline(
    opts(project({ '.gitlab-ci.yml': 'build:\n  script: [make]\n' }), { source: 'merge_request_event' }),
  ).catch((e: Error) => e);
  assert.ok(noWorkflow instanceof Error || noWorkflow.jobs.length === 0, 'only: [branches, tags] still excludes it');
});

test('a job may be called spec; only a header document before --- is special; without one the first document counts', async () => {
  const single = await load('spec:\n  script: [crystal spec]\n');
  assert.deepEqual(
    single.jobs.map((j) => j.name),
    ['spec'],
  );
  const header = await load('spec:\n  inputs: {}\n---\nbuild:\n  script: [make]\n');
  assert.deepEqual(
    header.jobs.map((j) => j.name),
    ['build'],
  );
  const two = await load('first:\n  script: [a]\n---\nsecond:\n  script: [b]\n');
  assert.deepEqual(
    two.jobs.map((j) => j.name),
    ['first'],
  );
});

test('GitLab refuses ${VAR} in rules:if and description/options on job-level variables', async () => {
  const ifErr = await errors('job:\n  script: [true]\n  rules:\n    - if: ${CI_COMMIT_BRANCH} == "main"\n');
  assert.match(
    ifErr.join('\n'),
    /\.gitlab-ci\.yml:4:11: jobs:job:rules:0:if: invalid expression: .*"\$\{\.\.\.\}" is not allowed/,
  );
  const desc = await errors(
    'variables:\n  G: { value: "1", description: fine here }\njob:\n  script: [true]\n  variables:\n    A: { value: "1", description: not here }\n',
  );
  assert.equal(desc.length, 1, desc.join('\n'));
  assert.match(desc[0], /jobs:job:variables:A: variables config uses invalid data keys: description/);
});
