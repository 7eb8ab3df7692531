// rules: first match wins; all clauses of a rule must hold; when: never / no match exclude the job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateRules } from '../../src/pipeline/rules/evaluate.js';
import { ConfigError } from '../../src/errors.js';
import { files, rule } from './helpers.js';
import type { RuleSpec } from '../../src/pipeline/rules/types.js';

const branchVars = {
  CI_COMMIT_BRANCH: 'main',
  CI_DEFAULT_BRANCH: 'main',
  CI_PIPELINE_SOURCE: 'push',
  CI_COMMIT_REF_NAME: 'main',
};
const mrVars = {
  CI_PIPELINE_SOURCE: 'merge_request_event',
  CI_DEFAULT_BRANCH: 'main',
  CI_COMMIT_REF_NAME: 'topic',
  CI_MERGE_REQUEST_TARGET_BRANCH_NAME: 'main',
};
const tagVars = {
  CI_COMMIT_TAG: 'v1.0.0',
  CI_PIPELINE_SOURCE: 'push',
  CI_DEFAULT_BRANCH: 'main',
  CI_COMMIT_REF_NAME: 'v1.0.0',
};

// Docs example: MR → manual + allow_failure; schedule → on_success; otherwise not created.
const docsExample: RuleSpec[] = [
  rule({ if: '$CI_PIPELINE_SOURCE == "merge_request_event"', when: 'manual', allowFailure: true }),
  rule({ if: '$CI_PIPELINE_SOURCE == "schedule"' }),
];
// Typical "never in MR, tags only manual, default branch always" pattern.
const releaseRules: RuleSpec[] = [
  rule({ if: '$CI_PIPELINE_SOURCE == "merge_request_event"', when: 'never' }),
  rule({ if: '$CI_COMMIT_TAG =~ /^v\\d+/', when: 'manual' }),
  rule({ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH' }),
];

const table: {
  name: string;
  rules: RuleSpec[];
  vars: Record<string, string | undefined>;
  fc?: ReturnType<typeof files>;
  matched: boolean;
  index?: number;
  when?: string;
}[] = [
  { name: 'docs example, MR', rules: docsExample, vars: mrVars, matched: true, index: 0, when: 'manual' },
  {
    name: 'docs example, schedule',
    rules: docsExample,
    vars: { CI_PIPELINE_SOURCE: 'schedule' },
    matched: true,
    index: 1,
    when: undefined,
  },
  { name: 'docs example, push', rules: docsExample, vars: branchVars, matched: false },
  { name: 'release, MR → never', rules: releaseRules, vars: mrVars, matched: true, index: 0, when: 'never' },
  { name: 'release, tag → manual', rules: releaseRules, vars: tagVars, matched: true, index: 1, when: 'manual' },
  { name: 'release, default branch', rules: releaseRules, vars: branchVars, matched: true, index: 2 },
  {
    name: 'release, other branch',
    rules: releaseRules,
    vars: { ...branchVars, CI_COMMIT_BRANCH: 'dev' },
    matched: false,
  },
  { name: 'empty rules list', rules: [], vars: branchVars, matched: false },
  {
    name: 'catch-all rule with only when',
    rules: [rule({ if: '$NOPE' }), rule({ when: 'always' })],
    vars: {},
    matched: true,
    index: 1,
    when: 'always',
  },
  {
    name: 'catch-all never',
    rules: [rule({ if: '$NOPE' }), rule({ when: 'never' })],
    vars: {},
    matched: true,
    index: 1,
    when: 'never',
  },
  // changes
  {
    name: 'changes true when changes are "all"',
    rules: [rule({ changes: { paths: ['docs/**/*'] } })],
    vars: branchVars,
    fc: files('all'),
    matched: true,
    index: 0,
  },
  {
    name: 'changes matched in a diff',
    rules: [rule({ changes: { paths: ['docs/**/*', 'README.md'] } })],
    vars: mrVars,
    fc: files(['docs/a/b.md']),
    matched: true,
    index: 0,
  },
  {
    name: 'changes not matched in a diff',
    rules: [rule({ changes: { paths: ['docs/**/*'] } })],
    vars: mrVars,
    fc: files(['src/main.c']),
    matched: false,
  },
  {
    name: 'changes "*" does not cross directories',
    rules: [rule({ changes: { paths: ['*.md'] } })],
    vars: mrVars,
    fc: files(['docs/x.md']),
    matched: false,
  },
  {
    name: 'changes with a variable in the path',
    rules: [rule({ changes: { paths: ['$DIR/**/*'] } })],
    vars: { ...mrVars, DIR: 'service-a' },
    fc: files(['service-a/x.go']),
    matched: true,
    index: 0,
  },
  {
    name: 'compare_to uses its own diff',
    rules: [rule({ changes: { paths: ['src/*'], compareTo: 'refs/heads/main' } })],
    vars: branchVars,
    fc: files('all', [], { 'refs/heads/main': ['README.md'] }),
    matched: false,
  },
  {
    name: 'compare_to with a match',
    rules: [rule({ changes: { paths: ['src/*'], compareTo: '$BASE' } })],
    vars: { ...branchVars, BASE: 'develop' },
    fc: files('all', [], { develop: ['src/a.c'] }),
    matched: true,
    index: 0,
  },
  // exists
  {
    name: 'exists found',
    rules: [rule({ exists: { paths: ['Dockerfile'] } })],
    vars: branchVars,
    fc: files('all', ['Dockerfile', 'src/a.c']),
    matched: true,
    index: 0,
  },
  {
    name: 'exists glob',
    rules: [rule({ exists: { paths: ['**/*.csproj'] } })],
    vars: branchVars,
    fc: files('all', ['src/App/App.csproj']),
    matched: true,
    index: 0,
  },
  {
    name: 'exists missing',
    rules: [rule({ exists: { paths: ['Cargo.toml'] } })],
    vars: branchVars,
    fc: files('all', ['go.mod']),
    matched: false,
  },
  {
    name: 'exists in another project cannot be checked offline',
    rules: [rule({ exists: { paths: ['x'], project: 'g/other' } })],
    vars: branchVars,
    fc: files('all', ['x']),
    matched: false,
  },
  // clauses are ANDed
  {
    name: 'if true + exists false → no match',
    rules: [rule({ if: '$CI_COMMIT_BRANCH', exists: { paths: ['nope'] } })],
    vars: branchVars,
    fc: files('all', ['yes']),
    matched: false,
  },
  {
    name: 'if true + changes true + exists true',
    rules: [
      rule({
        if: '$CI_COMMIT_BRANCH',
        changes: { paths: ['a'] },
        exists: { paths: ['yes'] },
        when: 'delayed',
        startIn: '5 minutes',
      }),
    ],
    vars: branchVars,
    fc: files(['a'], ['yes']),
    matched: true,
    index: 0,
    when: 'delayed',
  },
];

for (const c of table) {
  test(`rules: ${c.name}`, () => {
    const out = evaluateRules(c.rules, c.vars, c.fc ?? files('all'));
    assert.equal(out.matched, c.matched, out.explanation);
    assert.equal(out.index, c.index);
    assert.equal(out.when, c.when);
    if (c.matched) assert.equal(out.rule, c.rules[c.index!]);
    assert.ok(out.explanation.length > 0);
  });
}

test('explanations say which rule matched or why none did', () => {
  assert.match(
    evaluateRules(releaseRules, tagVars, files('all')).explanation,
    /^rules\[1\] matched if: .* \(when: manual\)$/,
  );
  const none = evaluateRules(releaseRules, { ...branchVars, CI_COMMIT_BRANCH: 'dev' }, files('all'));
  assert.match(none.explanation, /no rule matched/);
  assert.match(none.explanation, /rules\[2\]: if `\$CI_COMMIT_BRANCH == \$CI_DEFAULT_BRANCH` is false/);
});

test('a malformed rules:if is a ConfigError naming the file position and rule index', () => {
  const bad = [rule({ if: '$A == "x"' }), rule({ if: '$A == ' })];
  assert.throws(
    () => evaluateRules(bad, { A: 'y' }, files('all')),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /^\.gitlab-ci\.yml:3:5: rules:1:if: invalid expression: expected a value after "=="/);
      return true;
    },
  );
  // The first rule matching means the later bad one is never reached (as in GitLab).
  assert.equal(evaluateRules(bad, { A: 'x' }, files('all')).index, 0);
});

test('an unknown compare_to ref is a ConfigError', () => {
  const r = [rule({ changes: { paths: ['x'], compareTo: 'gone' } })];
  assert.throws(
    () => evaluateRules(r, {}, files('all', [], {})),
    /rules:0:changes:compare_to: compare_to: "gone" is not a valid ref/,
  );
});
