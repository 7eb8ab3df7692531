// One test per class of bad input: the error names file:line:col and the key path, and nothing crashes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ConfigError, ConfigErrors } from '../../src/errors.js';
import { lintPipeline, loadPipeline } from '../../src/pipeline/load.js';

const FIX = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'errors');

async function errorsOf(name: string): Promise<string[]> {
  const errs = await lintPipeline({ projectDir: join(FIX, name), ref: 'main', source: 'push', defaultBranch: 'main' });
  return errs.map((e) => e.message);
}

const cases: Array<[string, string[]]> = [
  ['syntax', ['.gitlab-ci.yml:5:1: syntax error: ']],
  ['unknown-key', ['.gitlab-ci.yml:3:3: jobs:build: unknown key "scirpt"']],
  [
    'wrong-type',
    [
      '.gitlab-ci.yml:3:9: jobs:build:tags: should be an array of strings, got a boolean',
      '.gitlab-ci.yml:4:10: jobs:build:retry: should be between 0 and 2, got 5',
    ],
  ],
  ['undefined-needs', ['.gitlab-ci.yml:6:11: jobs:test:needs: job "compile" is not defined']],
  [
    'undefined-extends',
    ['.gitlab-ci.yml:2:12: jobs:build:extends: unknown key in extends: ".template" is not defined'],
  ],
  [
    'undefined-stage',
    [
      '.gitlab-ci.yml:3:10: jobs:publish:stage: chosen stage "deploy" does not exist; ' +
        'available stages are .pre, build, test, .post',
    ],
  ],
  ['needs-cycle', ['.gitlab-ci.yml:5:10: jobs:b:needs: circular dependency detected in needs: a -> b -> a']],
  [
    'needs-later-stage',
    ['.gitlab-ci.yml:4:11: jobs:build:needs: job "deploy" is not defined in current or prior stages'],
  ],
  [
    'extends-cycle',
    ['.gitlab-ci.yml:6:12: jobs:.c:extends: circular dependency detected in extends: .a -> .b -> .c -> .a'],
  ],
  ['needs-excluded', ['.gitlab-ci.yml:9:11: jobs:test:needs: job "release" is not created in this pipeline']],
  // 51 matrix instances of build + lint; picky's 50 (needs:parallel:matrix combinations + lint) is allowed.
  ['needs-too-many', ['.gitlab-ci.yml:16:5: jobs:test:needs: one job can only need 50 others, but you have listed 52']],
  [
    'bad-auto-cancel',
    [
      '.gitlab-ci.yml:4:5: workflow:auto_cancel: unknown key "on_failure"',
      '.gitlab-ci.yml:3:20: workflow:auto_cancel:on_new_commit: auto cancel on new commit must be one of: conservative, interruptible, none',
      '.gitlab-ci.yml:8:22: jobs:build:rules:0:interruptible: should be a boolean value',
    ],
  ],
  [
    'matrix-too-big',
    ['.gitlab-ci.yml:5:7: jobs:build:parallel:matrix: generates too many jobs (maximum is 200, got 225)'],
  ],
  ['include-missing', ['.gitlab-ci.yml:2:12: include:0:local: local file `ci/missing.yml` does not exist']],
  [
    'bad-regex',
    ['.gitlab-ci.yml:4:11: jobs:build:rules:0:if: invalid expression: invalid regular expression /release-(/'],
  ],
  ['include-bad-rule', ['.gitlab-ci.yml:4:13: include:0:rules:0:if: invalid expression: ']],
  [
    'bad-dependencies',
    [
      '.gitlab-ci.yml:11:17: jobs:test:dependencies: job "lint" should be part of needs',
      '.gitlab-ci.yml:15:17: jobs:package:dependencies: job "test" is not defined in current or prior stages',
    ],
  ],
  [
    'rules-and-only',
    [
      '.gitlab-ci.yml:5:5: jobs:job:rules: may not be used with only or except',
      '.gitlab-ci.yml:6:10: jobs:version: config should be a hash',
    ],
  ],
];

for (const [name, prefixes] of cases) {
  test(`bad input "${name}" is reported with file:line:col and key path`, async () => {
    const msgs = await errorsOf(name);
    assert.equal(msgs.length, prefixes.length, `errors for ${name}:\n${msgs.join('\n')}`);
    prefixes.forEach((prefix, i) =>
      assert.ok(msgs[i].startsWith(prefix), `expected prefix\n  ${prefix}\ngot\n  ${msgs[i]}`),
    );
  });
}

test('loadPipeline throws ConfigError for one problem and ConfigErrors for several', async () => {
  await assert.rejects(
    loadPipeline({ projectDir: join(FIX, 'undefined-needs'), ref: 'main' }),
    (e: unknown) => e instanceof ConfigError && e.keyPath.join(':') === 'jobs:test:needs' && e.position?.line === 6,
  );
  await assert.rejects(
    loadPipeline({ projectDir: join(FIX, 'wrong-type'), ref: 'main' }),
    (e: unknown) => e instanceof ConfigErrors && e.errors.length === 2,
  );
});

test('an optional need on an excluded job is dropped, not an error', async () => {
  const msgs = await errorsOf('needs-excluded');
  assert.ok(!msgs.some((m) => m.includes('jobs:docs')), msgs.join('\n'));
});

test('a missing pipeline file is a ConfigError naming it', async () => {
  await assert.rejects(
    loadPipeline({ projectDir: FIX, file: 'nope.yml', ref: 'main' }),
    (e: unknown) => e instanceof ConfigError && /nope\.yml/.test(e.message),
  );
});

test('an invalid global image is reported at its own key even when every job sets its own image', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-img-'));
  writeFileSync(
    join(dir, '.gitlab-ci.yml'),
    'image:\n  stage: build\n  script: [x]\nbuild:\n  image: alpine\n  script: [y]\ntest:\n  script: [z]\n',
  );
  const errors = await lintPipeline({ projectDir: dir, ref: 'main' });
  const messages = errors.map((e) => e.message);
  assert.ok(
    messages.includes(
      '.gitlab-ci.yml:2:3: image: unknown key "stage" (allowed: name, entrypoint, pull_policy, docker, kubernetes)',
    ),
    messages.join('\n'),
  );
  assert.equal(
    messages.filter((m) => m.includes('unknown key "stage"')).length,
    1,
    'reported once, not once per inheriting job',
  );
});
