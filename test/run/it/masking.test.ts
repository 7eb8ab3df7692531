import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { makeProject, parseSummary, readLog, runKiln } from '../helpers/project.js';

const SECRET = 'S3cr3t-Value-0123456789';
const YAML = `
leak:
  script:
    # The secret reaches the output in two writes with a pause between: two chunks for kiln.
    - printf '%s' "\${API_TOKEN:0:7}"; sleep 0.3; printf '%s\\n' "\${API_TOKEN:7}"
    - echo "whole=$API_TOKEN" >&2
    - echo "key=$DEPLOY_KEY"
    - echo "file=$(cat "$SSH_KEY")"
    - test -f "$SSH_KEY" && test "$(cat "$SSH_KEY")" = "private-key-data"
    - test "$API_TOKEN" = "${SECRET}"
`;

test('masked values never appear in console, log or summary, even split across chunks', async () => {
  const dir = await makeProject({ '.gitlab-ci.yml': YAML });
  const vars = join(await mkdtemp(join(tmpdir(), 'kiln-mask-')), 'secrets.env');
  await writeFile(vars, `API_TOKEN=${SECRET}\n`);
  const json = join(dirname(vars), 'more.json');
  await writeFile(json, JSON.stringify({ SSH_KEY: { value: 'private-key-data', file: true, masked: true } }));
  const r = await runKiln([
    'run',
    '--dir',
    dir,
    '--json',
    '--variables-file',
    vars,
    '--variables-file',
    json,
    '--masked',
    'API_TOKEN',
    '--variable',
    'DEPLOY_KEY=key-material-xyz',
    '--masked',
    'DEPLOY_KEY',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const log = await readLog(parseSummary(r.stdout), 'leak');
  for (const text of [r.stdout, r.stderr, log]) {
    assert.ok(!text.includes(SECRET), 'whole secret hidden');
    assert.ok(!text.includes('0123456789'), 'tail of the secret hidden');
    assert.ok(!text.includes('key-material-xyz'));
    assert.ok(!text.includes('private-key-data'));
  }
  assert.match(log, /O \[MASKED\]$/m);
  // The shell executor gives a job one pipe for stdout and stderr (as GitLab Runner does): one stream.
  assert.match(log, /[OE] whole=\[MASKED\]$/m);
  assert.match(log, /O file=\[MASKED\]$/m);
  const summary = await readFile(
    join(dir, '.kiln/pipelines', String(parseSummary(r.stdout).pipelineId), 'summary.json'),
    'utf8',
  );
  assert.ok(!summary.includes(SECRET));
});

test('masked values are masked in the summary NOTE column, --json message and summary.json (issue 15 item 9)', async () => {
  const secret = 'Leaky-Path-Secret-42';
  const dir = await makeProject({
    '.gitlab-ci.yml': `
leak-in-error:
  script: [echo hi]
  artifacts:
    paths: ["/$PATH_SECRET"]
retried:
  retry: 1
  script: [echo hi]
  artifacts:
    paths: ["../$PATH_SECRET"]
`,
  });
  const vars = join(await mkdtemp(join(tmpdir(), 'kiln-mask-')), 'secrets.env');
  await writeFile(vars, `PATH_SECRET=${secret}\n`);
  const args = ['run', '--dir', dir, '--variables-file', vars, '--masked', 'PATH_SECRET'];
  const json = await runKiln([...args, '--json']);
  const s = parseSummary(json.stdout);
  const message = s.jobs.find((j) => j.name === 'leak-in-error')!.message ?? '';
  assert.match(message, /\[MASKED\]/, 'the message is there, masked');
  const table = await runKiln(args);
  assert.match(table.stdout, /leak-in-error.*\[MASKED\]/);
  const files = [
    join(dir, '.kiln/pipelines', String(s.pipelineId), 'summary.json'),
    join(dir, '.kiln/pipelines', String(s.pipelineId + 1), 'summary.json'),
  ];
  for (const text of [
    json.stdout,
    json.stderr,
    table.stdout,
    table.stderr,
    ...(await Promise.all(files.map((f) => readFile(f, 'utf8')))),
  ]) {
    assert.ok(!text.includes(secret), `secret leaked in:\n${text}`);
  }
});
