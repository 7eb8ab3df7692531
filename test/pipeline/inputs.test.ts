// CI/CD inputs (GitLab docs: ci/inputs/_index.md, ci/yaml/_index.md "spec:inputs", "include:inputs") and how a
// file is split into header and content (GitLab's Yaml::Loader / Yaml::Documents).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { lintPipeline } from '../../src/pipeline/load.js';
import { splitDocuments, looksLikeHeader } from '../../src/pipeline/inputs/documents.js';
import { readCiText } from '../../src/pipeline/inputs/load.js';
import { interpolateTree } from '../../src/pipeline/inputs/interpolate.js';
import { parseYaml } from '../../src/pipeline/yaml/read.js';
import { posixEscape } from '../../src/pipeline/inputs/functions.js';
import { checkInputs } from '../../src/pipeline/inputs/values.js';
import type { InputSpec } from '../../src/pipeline/inputs/spec.js';
import { toPlain, type YNode } from '../../src/pipeline/yaml/node.js';
import { FEATURES, job, load, varValues } from './helpers.js';

const noVars = { variable: () => undefined };
const plain = (n: YNode | undefined): unknown => (n ? toPlain(n) : undefined);

test('only a header document before `---` is special; without a header GitLab uses the first document', () => {
  // Yaml::Documents: a header is the first of 2+ documents and a hash with `spec`; the content is then the last.
  const one = readCiText('spec:\n  script: echo\n', 'a.yml', { env: noVars });
  assert.deepEqual(plain(one.root), { spec: { script: 'echo' } }, 'a one-document file: `spec` is an ordinary key');
  const two = readCiText('first:\n  script: a\n---\nsecond:\n  script: b\n', 'b.yml', { env: noVars });
  assert.deepEqual(plain(two.root), { first: { script: 'a' } }, 'no header: the first document');
  const three = readCiText('spec:\n  inputs: {}\n---\nmiddle: {}\n---\nlast:\n  script: c\n', 'c.yml', { env: noVars });
  assert.deepEqual(plain(three.root), { last: { script: 'c' } }, 'header + 2 documents: the last piece');
  const leading = splitDocuments('---\nspec:\n  inputs:\n---\njob: {}\n', looksLikeHeader);
  assert.equal(leading.header?.text, 'spec:\n  inputs:\n');
  // Positions stay those of the real file.
  const pos = readCiText(
    'spec:\n  inputs:\n    a:\n      default: x\n---\n\njob:\n  script: $[[ inputs.a ]]\n',
    'p.yml',
    { env: noVars },
  );
  assert.equal(pos.root?.kind === 'map' && pos.root.entries.get('job')?.keyPos.line, 7);
});

test("input checks use GitLab's rules and messages: unknown, required, type, options, regex", () => {
  const specs: InputSpec[] = [
    { name: 'env', type: 'string', hasDefault: false, options: ['test', 'prod'], node: undefined as never },
    { name: 'n', type: 'number', hasDefault: true, default: 1, node: undefined as never },
    { name: 'v', type: 'string', hasDefault: false, regex: '^v\\d\\.\\d+(\\.\\d+)$', node: undefined as never },
    { name: 'b', type: 'boolean', hasDefault: true, default: 'yes', node: undefined as never },
    { name: 'opt', type: 'string', hasDefault: true, default: null, node: undefined as never },
  ];
  const ok = checkInputs(specs, { env: 'prod', v: 'v1.2.3', b: false });
  assert.deepEqual(ok.errors, ['`b` input: default value is not a boolean']);
  const bad = checkInputs(specs, { env: 'moon', n: '2', v: 'v1', x: 1 });
  assert.deepEqual(bad.errors, [
    'unknown input arguments: x',
    '`env` input: `moon` cannot be used because it is not in the list of allowed options',
    '`n` input: provided value is not a number',
    '`v` input: provided value does not match required RegEx pattern',
    '`b` input: default value is not a boolean',
  ]);
  const missing = checkInputs(specs.slice(0, 1), {});
  assert.deepEqual(missing.errors, ['`env` input: required value has not been provided']);
  const nullDefault = checkInputs(specs.slice(4), {});
  assert.deepEqual(nullDefault, { values: { opt: null }, errors: [] }, '`default: null`: optional, no value');
});

test('interpolation: whole values keep their type, inside a string they are text; lists splice; matrix is left', () => {
  // GitLab's Interpolation::Template + Config#replace! (keys too; a string list item that becomes a list is spliced).
  const ctx = { inputs: { s: 'a b', n: 3, b: false, list: ['x', { if: '$A' }], key: 'job' } };
  const tree = parseYaml(
    'k: $[[ inputs.n ]]\nl: $[[ inputs.list ]]\nt: "$[[ inputs.s ]]-$[[inputs.b]]"\n' +
      'm: $[[ matrix.ARCH ]]\nr: ["$[[ inputs.list ]]", z]\n$[[ inputs.key ]]-1: {}\nin: "l=$[[ inputs.list ]]"\n',
    'i.yml',
  )!;
  const out = interpolateTree(tree, ctx, noVars);
  assert.deepEqual(out.errors, []);
  assert.deepEqual(toPlain(out.root), {
    k: 3,
    l: ['x', { if: '$A' }],
    t: 'a b-false',
    m: '$[[ matrix.ARCH ]]',
    r: ['x', { if: '$A' }, 'z'],
    'job-1': {},
    in: 'l=["x", {"if"=>"$A"}]',
  });
  const errors = (text: string): string[] => interpolateTree(parseYaml(text, 'e.yml')!, ctx, noVars).errors;
  assert.deepEqual(errors('a: $[[ inputs.nope ]]\n'), ['unknown interpolation key: `nope`']);
  assert.deepEqual(errors('a: $[[ inputs ]]\n'), ['invalid interpolation access pattern']);
  assert.deepEqual(errors('a: $[[ inputs.s | up ]]\n'), [
    'no function matching `up`: check that the function name, arguments, and types are correct',
  ]);
  assert.deepEqual(errors('a: $[[ inputs.s | truncate(0,1) | truncate(0,1) | truncate(0,1) | truncate(0,1) ]]\n'), [
    'too many functions in interpolation block',
  ]);
  assert.deepEqual(errors('a: $[[ inputs.n | truncate(0,1) ]]\n'), [
    'error in `truncate` function: invalid input type: truncate can only be used with string inputs',
  ]);
});

test("functions: expand_vars, truncate, posix_escape as in GitLab's docs examples", async () => {
  const p = await load('inputs', { variables: { MY_VAR: { value: 'my value', expand: false } } });
  assert.deepEqual(job(p, 'functions').script, [
    'echo my value', // 'test $MY_VAR' | expand_vars | truncate(5,8)
    `printf '%s\\n' A\\ string\\ with\\ single\\ \\'\\ and\\ double\\ \\"\\ quotes\\ and\\ \\ \\ blanks`,
    'echo 34567', // '0123456789' | truncate(3,5)
    'echo test $MY_VAR',
  ]);
  assert.equal(posixEscape(''), "''");
  assert.equal(posixEscape('a\nb'), "a'\n'b");
  const masked = interpolateTree(
    parseYaml('a: $[[ inputs.t | expand_vars ]]', 'm.yml')!,
    { inputs: { t: '$TOKEN' } },
    { variable: () => 'secret', masked: new Set(['TOKEN']) },
  );
  assert.deepEqual(masked.errors, [
    'error in `expand_vars` function: variable expansion error: masked variables cannot be expanded',
  ]);
});

test('include:inputs: an input can name a job and a stage, and give tags, parallel and allow_failure their types', async () => {
  const p = await load('inputs');
  const names = p.jobs.map((j) => j.name).sort();
  assert.deepEqual(names, ['functions', 'some-service-scan-website 1/2', 'some-service-scan-website 2/2']);
  const j = job(p, 'some-service-scan-website 1/2');
  assert.equal(j.stage, 'scan');
  assert.deepEqual(j.tags, ['docker', 'linux'], 'array default as a whole list');
  assert.equal(j.allowFailure.allowed, false, 'boolean input');
  assert.deepEqual(j.script, [
    'echo "scanning website -e staging -c 2 -v v1.3.2"',
    'if false; then echo "export results"; fi',
  ]);
});

test('include errors: undeclared, missing, outside options/regex, wrong type, inputs to a file without spec', async () => {
  const errs = await lintPipeline({ projectDir: join(FEATURES, 'inputs-errors'), ref: 'main' });
  assert.deepEqual(
    errs.map((e) => e.message),
    [
      '.gitlab-ci.yml:3:5: include:0: `scan.yml`: unknown input arguments: colour, `environment` input: `moon` cannot ' +
        'be used because it is not in the list of allowed options, `concurrency` input: provided value is not a number',
      '.gitlab-ci.yml:10:5: include:1: `scan.yml`: `job-prefix` input: required value has not been provided, ' +
        '`version` input: provided value does not match required RegEx pattern',
      '.gitlab-ci.yml:14:5: include:2: `functions.yml`: `test` input: provided value is not a string',
      '.gitlab-ci.yml:17:5: include:3: `plain.yml`: Given inputs not defined in the `spec` section of the included ' +
        'configuration file',
    ],
  );
});

test('array inputs give whole lists: needs and rules', async () => {
  const push = job(await load('inputs', { file: 'needs-main.yml' }), 'after');
  assert.deepEqual(
    push.needs?.map((n) => n.job),
    ['functions'],
  );
  assert.equal(push.when, 'on_success', 'the second rule of the array default matched');
  const mr = job(await load('inputs', { file: 'needs-none.yml', source: 'merge_request_event' }), 'after');
  assert.equal(mr.when, 'manual', 'the first rule of the array default matched');
});

test('main file inputs: defaults, --inputs-file values (typed) and --input values (read as their type)', async () => {
  const dir = join(FEATURES, 'inputs-main');
  const byDefault = await load('inputs-main');
  assert.deepEqual(byDefault.stages, ['.pre', 'build', 'deploy', '.post']);
  assert.deepEqual(
    byDefault.jobs.map((j) => j.name),
    ['build: [amd64]', 'deploy'],
  );
  const given = await load('inputs-main', {
    inputs: { targets: ['amd64', 'arm64'], replicas: 3 },
    cliInputs: { 'deploy-stage': 'ship', 'dry-run': 'false' },
  });
  assert.deepEqual(
    given.jobs.map((j) => [j.name, j.stage]),
    [
      ['build: [amd64]', 'build'],
      ['build: [arm64]', 'build'],
      ['deploy', 'ship'],
    ],
  );
  const d = job(given, 'deploy');
  assert.deepEqual({ R: varValues(d).REPLICAS, D: varValues(d).DRY_RUN }, { R: '3', D: 'false' });
  const errs = await lintPipeline({ projectDir: dir, ref: 'main', cliInputs: { replicas: 'many', nope: '1' } });
  assert.deepEqual(
    errs.map((e) => e.message),
    [
      '.gitlab-ci.yml:1:1: `.gitlab-ci.yml`: unknown input arguments: nope, ' +
        '`replicas` input: provided value is not a number',
    ],
  );
});

test("GitLab's Jobs/Dependency-Scanning.v2 template: with include:inputs, and on its own with its defaults", async () => {
  const p = await load('inputs-template');
  const deps = job(p, 'deps');
  assert.equal(deps.stage, 'security');
  assert.equal(deps.allowFailure.allowed, true, 'boolean default true');
  assert.ok(deps.script.includes('export DS_MAX_DEPTH="${DS_MAX_DEPTH:-5}"'), 'number input inside a string');
  assert.equal(varValues(deps).DS_ANALYZER_IMAGE, '$SECURE_ANALYZERS_PREFIX/dependency-scanning:1');
  const alone = await lintPipeline({
    projectDir: join(FEATURES, 'inputs-template'),
    ref: 'main',
    file: '.kiln-vendor/template/Jobs/Dependency-Scanning.v2.gitlab-ci.yml',
  });
  assert.deepEqual(
    alone.map((e) => e.message),
    [],
  );
});

test('GNOME/citemplates (published): include:inputs with an array spliced into rules, job names and stages', async () => {
  // markdown-lint.yml has `rules: ["$[[ inputs.extra-rules ]]", {changes: ...}]`: the array input is spliced.
  const p = await load('gnome-citemplates');
  assert.deepEqual(p.jobs.map((j) => [j.name, j.stage]).sort(), [
    ['markdown lint', 'lint'],
    ['ruff linter', 'lint'],
  ]);
  assert.equal(job(p, 'ruff linter').image?.name, 'ghcr.io/astral-sh/ruff:0.15.12-debian-slim');
  assert.match(job(p, 'markdown lint').ruleOutcome ?? '', /^rules\[1\] /, 'the extra rule is rules[0]');
  const own = await load('gnome-citemplates', { projectUrl: 'https://gitlab.example.com/GNOME/citemplates' });
  assert.match(
    job(own, 'markdown lint').ruleOutcome ?? '',
    /^rules\[0\] matched if: \$CI_PROJECT_NAME == "citemplates"/,
  );
  const tag = await load('gnome-citemplates', { ref: 'v1', tag: true });
  assert.ok(
    tag.jobs.some((j) => j.name === 'release_job' && j.stage === 'deploy'),
    'basic-release.yml with its defaults',
  );
});
