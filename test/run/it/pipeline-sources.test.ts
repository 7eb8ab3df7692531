// `kiln run` creates every kind of pipeline `kiln jobs` can show, with the same flags and the same reading of
// `--variable` (GitLab docs: "Predefined CI/CD variables reference", "rules:changes", merge request pipelines).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitIn, job, makeProject, parseSummary, readLog, runKiln } from '../helpers/project.js';
import { environmentSlug, guessTier } from '../../../src/run/job/run-variables.js';

const SHOW = `
stages: [test]
show:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event" || $CI_PIPELINE_SOURCE == "schedule" || $CI_PIPELINE_SOURCE == "push"
  script:
    - echo "source=$CI_PIPELINE_SOURCE target=$CI_MERGE_REQUEST_TARGET_BRANCH_NAME branch=\${CI_COMMIT_BRANCH:-none} from=$FROM"
mr-only:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  script: [echo mr]
`;

test('kiln run takes the same pipeline-source flags as kiln jobs: merge request and schedule pipelines', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': SHOW });
  gitIn(dir, 'branch', 'develop');
  const mr = parseSummary(
    (
      await runKiln(
        [
          'run',
          '--json',
          '--source',
          'merge_request_event',
          '--target-branch',
          'develop',
          '--variable',
          'BASE=x',
          '--variable',
          'FROM=$BASE-y',
        ],
        { cwd: dir },
      )
    ).stdout,
  );
  assert.deepEqual(mr.jobs.map((j) => j.name).sort(), ['mr-only', 'show']);
  assert.match(await readLog(mr, 'show'), /source=merge_request_event target=develop branch=none from=x-y/);

  const sched = parseSummary((await runKiln(['run', '--json', '--source', 'schedule'], { cwd: dir })).stdout);
  assert.deepEqual(
    sched.jobs.map((j) => j.name),
    ['show'],
  );
  assert.match(await readLog(sched, 'show'), /source=schedule target= branch=main/);

  // kiln jobs reads --variable the same way (values are expanded).
  const listed = await runKiln(['jobs', '--json', '--variable', 'BASE=x', '--variable', 'FROM=$BASE-y'], { cwd: dir });
  assert.equal(listed.code, 0, listed.stderr);

  // The old spelling of the sources flag still works and says what it is now.
  const legacy = await runKiln(['run', '--json', '--source', 'committed'], { cwd: dir });
  assert.equal(legacy.code, 0, legacy.stderr);
  assert.match(legacy.stderr, /--source committed is now --sources committed/);
});

async function pushedProject(): Promise<{ dir: string }> {
  const root = await mkdtemp(join(tmpdir(), 'kiln-push-'));
  const origin = join(root, 'origin.git');
  gitIn(root, 'init', '-q', '--bare', '-b', 'main', origin);
  const dir = await makeProject({
    '.gitlab-ci.yml': `
build:
  rules:
    - changes: [src/**/*]
  script: [echo "before=$CI_COMMIT_BEFORE_SHA"]
docs:
  rules:
    - changes: [docs/**/*]
  script: [echo docs]
`,
    'src/main.c': 'int main(void) { return 0; }\n',
    'docs/index.md': '# docs\n',
  });
  gitIn(dir, 'remote', 'add', 'origin', origin);
  gitIn(dir, 'push', '-q', '-u', 'origin', 'main');
  return { dir };
}

test('rules:changes on a push compares the commits the push would carry (upstream..HEAD), else the last commit', async () => {
  const { dir } = await pushedProject();
  // Already pushed: the pipeline of the last push, which carried the whole first commit.
  const first = parseSummary((await runKiln(['run', '--json'], { cwd: dir })).stdout);
  assert.deepEqual(first.jobs.map((j) => j.name).sort(), ['build', 'docs']);

  await writeFile(join(dir, 'docs', 'index.md'), '# docs v2\n');
  gitIn(dir, 'commit', '-qam', 'docs only');
  const upstream = gitIn(dir, 'rev-parse', 'origin/main').trim();
  const docsOnly = parseSummary((await runKiln(['run', '--json'], { cwd: dir })).stdout);
  assert.deepEqual(
    docsOnly.jobs.map((j) => j.name),
    ['docs'],
  );
  const jobs = await runKiln(['jobs', '--all'], { cwd: dir });
  assert.match(jobs.stdout, /build.*changes .*not matched/s);

  await mkdir(join(dir, 'src', 'lib'), { recursive: true });
  await writeFile(join(dir, 'src', 'lib', 'x.c'), 'int x;\n');
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-qm', 'code');
  const both = parseSummary((await runKiln(['run', '--json'], { cwd: dir })).stdout);
  assert.deepEqual(both.jobs.map((j) => j.name).sort(), ['build', 'docs']);
  assert.match(await readLog(both, 'build'), new RegExp(`before=${upstream}`));

  // A branch never pushed is a new branch: every changes rule holds, as on GitLab.
  gitIn(dir, 'checkout', '-q', '-b', 'feature');
  const fresh = parseSummary((await runKiln(['run', '--json'], { cwd: dir })).stdout);
  assert.deepEqual(fresh.jobs.map((j) => j.name).sort(), ['build', 'docs']);
});

test('CI_JOB_ID is the same in rules and in the script; run-time predefined variables are set', async () => {
  const dir = await makeProject({
    '.gitlab-ci.yml': `
workflow:
  name: nightly for $CI_COMMIT_REF_NAME
skipped:
  rules: [{ when: never }]
  script: [echo never]
second:
  rules:
    - if: $CI_JOB_ID == "1002"
  timeout: 20m
  environment:
    name: review/$CI_COMMIT_REF_NAME
    url: https://$CI_COMMIT_REF_SLUG.example.test
  script:
    - echo "id=$CI_JOB_ID"
    - echo "name=$CI_PIPELINE_NAME"
    - echo "env=$CI_ENVIRONMENT_NAME slug=$CI_ENVIRONMENT_SLUG tier=$CI_ENVIRONMENT_TIER action=$CI_ENVIRONMENT_ACTION url=$CI_ENVIRONMENT_URL"
    - echo "timeout=$CI_JOB_TIMEOUT runner=$CI_RUNNER_VERSION manual=\${CI_JOB_MANUAL:-no}"
    - test -n "$CI_JOB_STARTED_AT" && test -n "$CI_REPOSITORY_URL" && test -n "$CI_RUNNER_EXECUTABLE_ARCH"
deploy:
  when: manual
  script: [echo "manual=$CI_JOB_MANUAL"]
`,
  });
  const s = parseSummary((await runKiln(['run', '--json', '--manual'], { cwd: dir })).stdout);
  const log = await readLog(s, 'second');
  assert.equal(job(s, 'second').status, 'success', log);
  assert.match(log, /id=1002/);
  assert.match(log, /name=nightly for main/);
  assert.match(
    log,
    new RegExp(
      `env=review/main slug=${environmentSlug('review/main')} tier=development action=start url=https://main.example.test`,
    ),
  );
  assert.match(log, /timeout=1200 runner=0\.1\.0 manual=no/);
  assert.match(await readLog(s, 'deploy'), /manual=true/);
});

test('environment slugs and tiers follow GitLab', () => {
  assert.equal(environmentSlug('production'), 'production');
  assert.match(environmentSlug('review/feature-x'), /^review-feature-x-[a-z0-9]{6}$/);
  assert.match(environmentSlug('1st'), /^env-1st-[a-z0-9]{6}$/);
  assert.ok(environmentSlug('a'.repeat(40)).length <= 24);
  assert.equal(guessTier('production'), 'production');
  assert.equal(guessTier('staging'), 'staging');
  assert.equal(guessTier('review/x'), 'development');
  assert.equal(guessTier('qa'), 'testing');
  assert.equal(guessTier('sandbox'), 'other');
});
