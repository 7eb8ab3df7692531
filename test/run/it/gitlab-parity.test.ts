// Results and keywords as on GitLab, through the CLI: `coverage:` read from the log, reports uploaded whatever
// the job's status, Pages jobs keep their site, `kiln artifacts` exports a job's artifacts, and keywords that only
// GitLab can act on never end silently green (GitLab CI/CD YAML reference: coverage, artifacts:reports, pages,
// release, run, secrets, id_tokens, hooks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { job, makeProject, parseSummary, readLog, runKiln } from '../helpers/project.js';
import { coverageInLine, coverageRegex } from '../../../src/run/job/coverage.js';

test('coverage: the last matching line wins, the first number of the last match (or last group) is taken', () => {
  const re = coverageRegex('/Total coverage: \\d+(?:\\.\\d+)?%/');
  assert.equal(coverageInLine('Total coverage: 81.25% (lines)', re), '81.25');
  assert.equal(coverageInLine('nothing here', re), undefined);
  const grouped = coverageRegex('/lines\\.+: (\\d+\\.\\d+)%/');
  assert.equal(coverageInLine('lines......: 92.3% (120 of 130)', grouped), '92.3');
  assert.throws(() => coverageRegex('no slashes'), /between slashes/);
});

const PIPELINE = `
stages: [test, deploy]
unit:
  stage: test
  coverage: '/^TOTAL.+ (\\d+(?:\\.\\d+)?)%$/'
  script:
    - echo "TOTAL   200   40   50%"
    - echo "TOTAL   200   20   90.5%"
    - mkdir -p out && echo '<testsuite><testcase name="a"/><testcase name="b"><failure/></testcase></testsuite>' > out/junit.xml
    - echo bin > out/binary
    - exit 3
  allow_failure: true
  artifacts:
    paths: [out/binary]
    reports:
      junit: out/junit.xml
pages:
  stage: deploy
  script:
    - mkdir -p public && echo '<h1>site</h1>' > public/index.html
steps:
  stage: deploy
  run:
    - name: hello
      script: echo hello
release-only:
  stage: deploy
  script: [echo "creating release"]
  release:
    tag_name: v1
    description: first
`;

test('coverage, reports of a failing job, Pages artifacts, kiln artifacts, and jobs kiln cannot run', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': PIPELINE });
  const r = await runKiln(['run', '--json'], { cwd: dir });
  const s = parseSummary(r.stdout);

  const unit = job(s, 'unit');
  assert.equal(unit.status, 'failed (allowed)');
  assert.equal(unit.coverage, 90.5);
  // The JUnit report is uploaded although the job failed and artifacts:when is on_success; paths are not.
  assert.deepEqual(unit.junit, { tests: 2, failures: 1, errors: 0, skipped: 0 });
  assert.equal(unit.artifacts?.files, 1);
  assert.match(await readLog(s, 'unit'), /Uploading reports only/);

  const pages = job(s, 'pages');
  assert.equal(pages.status, 'success');
  assert.equal(pages.artifacts?.files, 1);
  assert.match(pages.warnings?.[0] ?? '', /pages: the site in public\/ is kept as the job's artifacts/);

  const steps = job(s, 'steps');
  assert.equal(steps.status, 'not run');
  assert.match(steps.message ?? '', /not run: run: CI steps are not supported by kiln/);
  assert.match(
    job(s, 'release-only').warnings?.[0] ?? '',
    /release: kiln runs the script but does not create the release/,
  );
  // A job kiln could not run fails the pipeline: it is never reported as a pass.
  assert.equal(s.status, 'failed');
  assert.notEqual(r.code, 0);

  const text = await runKiln(['run', 'unit'], { cwd: dir });
  assert.match(text.stdout, /COVERAGE/);
  assert.match(text.stdout, /90\.5%/);

  // kiln artifacts: the site comes out of the store; an existing non-empty directory is refused.
  const out = join(dir, 'exported');
  const exp = await runKiln(['artifacts', 'pages', '-o', out, '--pipeline', String(s.pipelineId), '--json'], {
    cwd: dir,
  });
  assert.equal(exp.code, 0, exp.stderr);
  assert.deepEqual(JSON.parse(exp.stdout).files, 1);
  assert.equal(await readFile(join(out, 'public/index.html'), 'utf8'), '<h1>site</h1>\n');
  const again = await runKiln(['artifacts', 'pages', '-o', out, '--pipeline', String(s.pipelineId)], { cwd: dir });
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /exists and is not empty/);
  const none = await runKiln(['artifacts', 'steps', '-o', join(dir, 'x'), '--pipeline', String(s.pipelineId)], {
    cwd: dir,
  });
  assert.match(none.stderr, /kept no artifacts/);
  assert.deepEqual(
    (await readdir(dir)).filter((n) => n.startsWith('.exported')),
    [],
  );
});

test('secrets and id_tokens: missing ones fail the job before its script; given ones are masked, files where asked', async () => {
  const dir = await makeProject({
    '.gitlab-ci.yml': `
deploy:
  id_tokens:
    VAULT_ID_TOKEN: { aud: https://vault.example }
  secrets:
    DB_PASSWORD:
      vault: production/db/password@ops
    API_KEY:
      vault: production/api/key@ops
      file: false
  script:
    - echo "script ran"
    - test -f "$DB_PASSWORD" && cat "$DB_PASSWORD"
    - echo "key=$API_KEY token=$VAULT_ID_TOKEN"
`,
  });
  const missing = parseSummary((await runKiln(['run', '--json'], { cwd: dir })).stdout);
  const log = await readLog(missing, 'deploy');
  assert.equal(job(missing, 'deploy').status, 'failed');
  assert.match(log, /secrets: DB_PASSWORD \(from vault on GitLab\)/);
  assert.match(log, /id_tokens: VAULT_ID_TOKEN/);
  assert.doesNotMatch(log, /script ran/);

  const given = parseSummary(
    (
      await runKiln(
        [
          'run',
          '--json',
          '--variable',
          'DB_PASSWORD=s3cret-db-pass',
          '--variable',
          'API_KEY=key-4711-abcd',
          '--variable',
          'VAULT_ID_TOKEN=eyJhbGciOi.token',
        ],
        { cwd: dir },
      )
    ).stdout,
  );
  const ok = await readLog(given, 'deploy');
  assert.equal(job(given, 'deploy').status, 'success', ok);
  assert.match(ok, /script ran/);
  for (const secret of ['s3cret-db-pass', 'key-4711-abcd', 'eyJhbGciOi.token'])
    assert.ok(!ok.includes(secret), `${secret} leaked:\n${ok}`);
});

test('hooks:pre_get_sources_script runs before the script and fails the job when it fails; image under shell is reported', async () => {
  const dir = await makeProject({
    '.gitlab-ci.yml': `
hooked:
  image: debian:bookworm
  hooks:
    pre_get_sources_script:
      - echo "hook ran" > "$CI_PROJECT_DIR/../hook.txt"
  script:
    - cat ../hook.txt
broken-hook:
  hooks:
    pre_get_sources_script: ["exit 7"]
  script: [echo "must not run"]
`,
  });
  const s = parseSummary((await runKiln(['run', '--json', '--executor', 'shell'], { cwd: dir })).stdout);
  const log = await readLog(s, 'hooked');
  assert.equal(job(s, 'hooked').status, 'success', log);
  assert.match(log, /hook ran/);
  assert.match(job(s, 'hooked').warnings?.join('\n') ?? '', /image: debian:bookworm is not used: the shell executor/);
  assert.equal(job(s, 'broken-hook').status, 'failed');
  assert.doesNotMatch(await readLog(s, 'broken-hook'), /must not run/);
});

test('a pages job without a public folder still fails its upload visibly', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': 'pages:\n  script: [echo no site]\n' });
  await mkdir(join(dir, 'x'), { recursive: true });
  await writeFile(join(dir, 'x', 'y'), '');
  const s = parseSummary((await runKiln(['run', '--json'], { cwd: dir })).stdout);
  assert.match(await readLog(s, 'pages'), /public: no matching files/);
});

test('keywords kiln cannot act on are named in the log and in --json: needs:project, identity, tags', async () => {
  const dir = await makeProject({
    '.gitlab-ci.yml': `
consume:
  tags: [docker, arm64]
  identity: google_cloud
  needs:
    - project: group/library
      job: build
      ref: main
      artifacts: true
  script: [echo consumed]
`,
  });
  const s = parseSummary((await runKiln(['run', '--json'], { cwd: dir })).stdout);
  const warnings = job(s, 'consume').warnings ?? [];
  assert.equal(job(s, 'consume').status, 'success');
  assert.match(warnings[0], /needs:project group\/library \(job build\): kiln cannot fetch artifacts/);
  assert.ok(warnings.some((w) => /^identity: /.test(w)));
  assert.match(warnings[warnings.length - 1], /tags: docker, arm64 pick a runner on GitLab/);
  const log = await readLog(s, 'consume');
  for (const w of warnings) assert.ok(log.includes(`WARNING: ${w}`), w);
});

test('kiln.toml [secrets] gives secrets from the environment or a file; bad entries are config errors with a position', async () => {
  const dir = await makeProject({
    '.gitlab-ci.yml': `
deploy:
  secrets:
    DB_PASSWORD: { vault: production/db/password@ops }
    API_KEY: { vault: production/api/key@ops, file: false }
  script:
    - test "$(cat "$DB_PASSWORD")" = "from-a-file-123"
    - test "$API_KEY" = "from-env-456"
`,
    'kiln.toml':
      '[secrets]\nDB_PASSWORD = { file = "db.secret" }\nAPI_KEY = { env = "KILN_TEST_API_KEY" }\n\n[resource_groups]\nproduction = "oldest_first"\n',
    'db.secret': 'from-a-file-123\n',
  });
  // The file path is relative to where kiln runs: give an absolute one.
  await writeFile(
    join(dir, 'kiln.toml'),
    `[secrets]\nDB_PASSWORD = { file = "${join(dir, 'db.secret')}" }\nAPI_KEY = { env = "KILN_TEST_API_KEY" }\n\n[resource_groups]\nproduction = "oldest_first"\n`,
  );
  const r = await runKiln(['run', '--json'], { cwd: dir, env: { KILN_TEST_API_KEY: 'from-env-456' } });
  const s = parseSummary(r.stdout);
  const log = await readLog(s, 'deploy');
  assert.equal(job(s, 'deploy').status, 'success', log);
  assert.ok(!log.includes('from-env-456') && !log.includes('from-a-file-123'));

  await writeFile(
    join(dir, 'kiln.toml'),
    '[secrets]\nDB_PASSWORD = "plain"\n\n[resource_groups]\nproduction = "fifo"\n',
  );
  const bad = await runKiln(['run'], { cwd: dir });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /kiln\.toml:2:\d+.*secrets.*DB_PASSWORD.*expected \{ env = "VARIABLE" \}/s);
  assert.match(bad.stderr, /kiln\.toml:5:\d+.*resource_groups.*production.*oldest_first/s);
});
