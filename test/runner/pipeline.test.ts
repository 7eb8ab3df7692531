// `kiln runner run` against the coordinator double: a 3-job pipeline passing an archive and a dotenv report
// through the server, a cache reused by the next job, masked and file variables.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { runRunner, scenario, type Scenario } from './helpers/setup.js';

const scenarios: Scenario[] = [];
after(async () => {
  for (const s of scenarios) await s.coordinator.stop();
});

test("3 jobs: build → test → deploy with artifacts and dotenv through GitLab; the trace is GitLab's, complete", async () => {
  const s = await scenario({ 'src/main.c': 'int main(void) { return 0; }\n' });
  scenarios.push(s);
  const c = s.coordinator;
  c.enqueue({
    name: 'build',
    stage: 'build',
    script: [
      'mkdir -p out',
      'cp src/main.c out/app.c',
      'chmod 755 out/app.c',
      'echo "VERSION=1.2.$CI_JOB_ID" > build.env',
      'echo built',
    ],
    artifacts: [
      {
        name: 'app',
        paths: ['out/'],
        when: 'on_success',
        artifact_type: 'archive',
        artifact_format: 'zip',
        expire_in: '1 week',
      },
      { paths: ['build.env'], when: 'on_success', artifact_type: 'dotenv', artifact_format: 'gzip' },
    ],
  });
  c.enqueue({
    name: 'test',
    stage: 'test',
    needs: ['build'],
    script: ['test -x out/app.c', 'cat out/app.c', 'echo "version is $VERSION"'],
  });
  c.enqueue({
    name: 'deploy',
    stage: 'deploy',
    needs: ['build', 'test'],
    script: ['echo "deploying $VERSION from $CI_COMMIT_SHA"', 'git log --oneline -1'],
  });
  const r = await runRunner(s, 3).done;
  assert.equal(r.code, 0, r.stderr);
  const [build, tst, deploy] = ['build', 'test', 'deploy'].map((n) => c.job(n));
  for (const j of [build, tst, deploy]) {
    assert.equal(j.status, 'success', `${j.spec.name}: ${j.trace.toString()}`);
    assert.equal(j.final?.state, 'success');
    assert.equal(j.final?.bytesize, j.trace.length);
  }
  assert.deepEqual(
    build.artifacts.map((a) => [a.type, a.format, a.filename, a.expireIn]),
    [
      ['archive', 'zip', 'app.zip', '1 week'],
      ['dotenv', 'gzip', 'dotenv.gz', undefined],
    ],
  );
  assert.deepEqual(Object.keys(unzipSync(build.artifacts[0].data)).sort(), ['out/', 'out/app.c']);
  assert.equal(gunzipSync(build.artifacts[1].data).toString(), `VERSION=1.2.${build.id}\n`);
  assert.match(tst.trace.toString(), /int main\(void\)/);
  assert.match(tst.trace.toString(), new RegExp(`version is 1\\.2\\.${build.id}`));
  assert.match(
    deploy.trace.toString(),
    new RegExp(`deploying 1\\.2\\.${build.id} from ${c.job('deploy').spec.name ? '' : ''}[0-9a-f]{40}`),
  );
  assert.match(deploy.trace.toString(), /[0-9a-f]{7} init/);
  // GitLab's sections, and the job token never in clear text (the clone URL carries it).
  assert.match(build.trace.toString(), /section_start:\d+:step_script\r\x1b\[0K/);
  for (const j of [build, tst, deploy]) assert.ok(!j.trace.includes(j.token), `${j.spec.name} trace shows its token`);
});

test('a cache saved by one job is restored by the next (same key); policy pull restores without saving', async () => {
  const s = await scenario();
  scenarios.push(s);
  const c = s.coordinator;
  const cache = [
    { key: 'deps-$CI_COMMIT_REF_NAME', paths: ['vendor/'], policy: 'pull-push' as const, when: 'on_success' as const },
  ];
  c.enqueue({
    name: 'first',
    script: ['test ! -e vendor/lib.txt', 'mkdir -p vendor', 'echo cached-content > vendor/lib.txt'],
    cache,
  });
  c.enqueue({ name: 'second', needs: ['first'], script: ['cat vendor/lib.txt'], cache });
  c.enqueue({
    name: 'pull-only',
    needs: ['second'],
    script: ['cat vendor/lib.txt', 'echo changed > vendor/lib.txt'],
    cache: [{ ...cache[0], policy: 'pull' }],
  });
  c.enqueue({ name: 'third', needs: ['pull-only'], script: ['cat vendor/lib.txt'], cache });
  const r = await runRunner(s, 4).done;
  assert.equal(r.code, 0, r.stderr);
  for (const n of ['first', 'second', 'pull-only', 'third'])
    assert.equal(c.job(n).status, 'success', c.job(n).trace.toString());
  assert.match(c.job('first').trace.toString(), /No cache found for deps-main/);
  assert.match(c.job('first').trace.toString(), /Created cache deps-main/);
  assert.match(c.job('second').trace.toString(), /Successfully extracted cache/);
  assert.match(c.job('second').trace.toString(), /cached-content/);
  assert.match(c.job('pull-only').trace.toString(), /Not uploading cache deps-main due to policy/);
  assert.match(c.job('third').trace.toString(), /cached-content/);
});

test('masked and file variables: values masked in the trace (even split across writes), files hold the value; glpat- tokens masked', async () => {
  const s = await scenario();
  scenarios.push(s);
  const c = s.coordinator;
  const secret = 'sup3r-s3cret-value-xyz';
  c.enqueue({
    name: 'secrets',
    variables: [
      { key: 'API_KEY', value: secret, masked: true, public: false },
      { key: 'KEY_FILE', value: 'file-content-123', file: true, public: false },
      { key: 'RAW', value: 'literal-$API_KEY', raw: true, public: true },
      { key: 'EXPANDED', value: 'pre-${CI_JOB_NAME}', public: true },
    ],
    script: [
      'echo "key: $API_KEY"',
      'printf "%s" "sup3r-s3"; sleep 0.2; printf "%s\\n" "cret-value-xyz"',
      'echo "file at $KEY_FILE"; cat "$KEY_FILE"; echo',
      'test "$(cat "$KEY_FILE")" = file-content-123',
      'echo "raw=$RAW expanded=$EXPANDED"',
      'echo "pat glpat-abcdefghij0123456789 end"',
    ],
  });
  const r = await runRunner(s, 1).done;
  assert.equal(r.code, 0, r.stderr);
  const j = c.job('secrets');
  const trace = j.trace.toString();
  assert.equal(j.status, 'success', trace);
  assert.ok(!trace.includes(secret), trace);
  assert.ok(!trace.includes('sup3r-s3cret'), trace);
  assert.match(trace, /key: \[MASKED\]/);
  assert.match(trace, /\n\[MASKED\]\n/);
  assert.match(trace, /file at \/.*\.tmp\/KEY_FILE\nfile-content-123/);
  assert.match(trace, /raw=literal-\$API_KEY expanded=pre-secrets/);
  assert.match(trace, /pat glpat-\[MASKED\] end/);
});

test("GIT_STRATEGY: none keeps the slot's previous files, fetch reuses the checkout and cleans, clone starts empty", async () => {
  const s = await scenario();
  scenarios.push(s);
  const c = s.coordinator;
  const v = (value: string) => [{ key: 'GIT_STRATEGY', value, public: true }];
  c.enqueue({ name: 'a', script: ['echo junk > junk.txt'] });
  c.enqueue({ name: 'b', needs: ['a'], variables: v('none'), script: ['test -f junk.txt', 'test -f README.md'] });
  c.enqueue({
    name: 'c',
    needs: ['b'],
    variables: v('fetch'),
    script: ['test ! -e junk.txt', 'test -f README.md', 'echo again > junk.txt'],
  });
  c.enqueue({ name: 'd', needs: ['c'], variables: v('clone'), script: ['test ! -e junk.txt', 'test -f README.md'] });
  c.enqueue({ name: 'e', needs: ['d'], variables: v('bogus'), script: ['echo never'] });
  const r = await runRunner(s, 5).done;
  assert.equal(r.code, 1);
  for (const n of ['a', 'b', 'c', 'd']) assert.equal(c.job(n).status, 'success', c.job(n).trace.toString());
  assert.match(c.job('b').trace.toString(), /Skipping Git repository setup \(GIT_STRATEGY=none\)/);
  assert.match(c.job('c').trace.toString(), /Reinitialized existing Git repository/);
  assert.match(c.job('d').trace.toString(), /Initialized empty Git repository/);
  assert.equal(c.job('e').final?.state, 'failed');
  assert.match(c.job('e').trace.toString(), /unknown GIT_STRATEGY "bogus"/);
  assert.doesNotMatch(c.job('e').trace.toString(), /never/);
});

test('config.toml environment, pre_get_sources_script, pre_build_script, post_build_script; job variables win', async () => {
  const s = await scenario(
    {},
    {
      extra: [
        '  environment = ["FROM_CONFIG=yes", "SHARED=from-config"]',
        '  pre_get_sources_script = "echo pre-sources in $(pwd)"',
        '  pre_build_script = "echo pre-build $FROM_CONFIG"',
        '  post_build_script = "echo post-build $CI_JOB_NAME"',
      ].join('\n'),
    },
  );
  scenarios.push(s);
  const job = s.coordinator.enqueue({
    name: 'env',
    variables: [{ key: 'SHARED', value: 'from-job', public: true }],
    script: ['echo "shared=$SHARED ci=$CI_SERVER slot=$CI_CONCURRENT_ID"'],
  });
  const r = await runRunner(s, 1).done;
  assert.equal(r.code, 0, r.stderr);
  const t = job.trace.toString();
  assert.match(t, /pre-sources in \//);
  assert.ok(t.indexOf('pre-sources') < t.indexOf('Checking out'), 'pre_get_sources_script runs before the checkout');
  assert.match(t, /pre-build yes\n[^]*shared=from-job ci=yes slot=0\n[^]*post-build env\n/);
});

test('a failing script: failed with script_failure and its exit code; on_failure artifacts uploaded, on_success not; after_script sees failed', async () => {
  const s = await scenario();
  scenarios.push(s);
  const job = s.coordinator.enqueue({
    name: 'fails',
    script: ['echo log > build.log', 'exit 3', 'echo not-reached'],
    afterScript: ['echo "after: $CI_JOB_STATUS"'],
    artifacts: [
      { paths: ['build.log'], when: 'on_failure', artifact_type: 'archive', artifact_format: 'zip' },
      { paths: ['build.log'], when: 'on_success', artifact_type: 'junit', artifact_format: 'gzip' },
    ],
  });
  const r = await runRunner(s, 1).done;
  assert.equal(r.code, 1);
  assert.deepEqual(
    [job.final?.state, job.final?.failure_reason, job.final?.exit_code],
    ['failed', 'script_failure', 3],
  );
  assert.deepEqual(
    job.artifacts.map((a) => a.type),
    ['archive'],
  );
  assert.match(job.trace.toString(), /after: failed/);
  assert.doesNotMatch(job.trace.toString(), /not-reached/);
  assert.match(job.trace.toString(), /ERROR: Job failed: exit code 3/);
});
