// kiln publish aptly against a real aptly server (`aptly api serve` on 127.0.0.1 with a temp root and a temp
// GNUPGHOME), plus the HTTP client's retry rules against a scripted local server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdir, readFile, writeFile, stat } from 'node:fs/promises';
import { createServer as netServer } from 'node:net';
import { join } from 'node:path';
import { have, kiln, makeKey, run, sampleDeb, tmp } from './helpers.js';
import { AptlyHttp } from '../../src/publish/aptly/http.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Aptly {
  url: string;
  root: string;
  gnupg: string;
  proc: ChildProcess;
}

async function startAptly(dir: string): Promise<Aptly> {
  const root = join(dir, 'aptly-root');
  const gnupg = join(dir, 'gnupg');
  await mkdir(gnupg, { mode: 0o700 });
  const conf = join(dir, 'aptly.conf');
  await writeFile(
    conf,
    JSON.stringify({ rootDir: root, gpgProvider: 'gpg', gpgDisableVerify: true, architectures: [] }),
  );
  const port = await freePort();
  const proc = spawn('aptly', ['api', 'serve', '-config', conf, '-listen', `127.0.0.1:${port}`, '-no-lock'], {
    env: { ...process.env, GNUPGHOME: gnupg, GIN_MODE: 'release' },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${url}/api/version`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, root, gnupg, proc };
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill();
  throw new Error('aptly api serve did not start');
}

async function uploadDirs(url: string): Promise<string[]> {
  return (await (await fetch(`${url}/api/files`)).json()) as string[];
}

test(
  'kiln publish aptly against a real aptly server',
  { skip: !have('aptly') && process.env.CI !== 'true' && 'aptly not installed' },
  async (t) => {
    const dir = await tmp('aptly');
    const a = await startAptly(dir);
    t.after(() => {
      a.proc.kill();
      run('gpgconf', ['--homedir', a.gnupg, '--kill', 'all']);
    });
    const pub = (args: string[]) =>
      kiln(['publish', 'aptly', '--url', a.url, '--repo', 'infra', '--retries', '1', ...args]);
    const public_ = (p: string) => join(a.root, 'public', p);

    await t.test('first publish creates the repo and the publication, and removes its upload dir', async () => {
      const deb = await sampleDeb(dir, { name: 'datahook', version: '1.0', content: 'build A\n' });
      const r = await pub(['--distribution', 'bionic', '--skip-signing', deb]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /created aptly repo/);
      assert.match(r.stdout, /created publication \.\/bionic \(unsigned\)/);
      const pkgs = await readFile(public_('dists/bionic/main/binary-amd64/Packages'), 'utf8');
      assert.match(pkgs, /^Package: datahook$/m);
      assert.match(pkgs, /^Version: 1\.0$/m);
      assert.deepEqual(await uploadDirs(a.url), []);
    });

    await t.test('a second publish updates the publication', async () => {
      const deb = await sampleDeb(dir, { name: 'datahook', version: '1.1', content: 'build B\n' });
      const r = await pub(['--distribution', 'bionic', '--skip-signing', deb]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /updated publication \.\/bionic/);
      const pkgs = await readFile(public_('dists/bionic/main/binary-amd64/Packages'), 'utf8');
      assert.deepEqual([...pkgs.matchAll(/^Version: (.*)$/gm)].map((m) => m[1]).sort(), ['1.0', '1.1']);
    });

    await t.test(
      're-uploading the same file name from another build: conflict reported, leftover dirs do not matter',
      async () => {
        // The seed's flow: a shared upload dir with a generic file name, left behind by an earlier build.
        const form = new FormData();
        form.append(
          'file',
          new Blob([new Uint8Array(await readFile(await sampleDeb(dir, { name: 'other', version: '9' })))]),
          'pkg.deb',
        );
        assert.equal((await fetch(`${a.url}/api/files/datahook_bionic`, { method: 'POST', body: form })).status, 200);

        await mkdir(join(dir, 'build2'), { recursive: true });
        const again = await sampleDeb(join(dir, 'build2'), {
          name: 'datahook',
          version: '1.1',
          content: 'build C, same version\n',
        });
        let r = await pub(['--distribution', 'bionic', '--skip-signing', again]);
        assert.equal(r.code, 5);
        assert.match(
          r.stderr,
          /aptly: repo infra already has datahook 1\.1 \(amd64\) with other content \(sha256 [0-9a-f]{12}… from datahook_1\.1_amd64\.deb; .*build2\/datahook_1\.1_amd64\.deb is [0-9a-f]{12}…\)/,
        );
        assert.match(r.stderr, /bump the version, or pass --force-replace/);
        assert.match(r.stderr, /nothing was changed on the aptly server/);
        assert.deepEqual(
          await uploadDirs(a.url),
          ['datahook_bionic'],
          'kiln removed its own upload dir even after the failure',
        );

        r = await pub(['--distribution', 'bionic', '--skip-signing', '--force-replace', again]);
        assert.equal(r.code, 0, r.stderr);
        const newer = await sampleDeb(join(dir, 'build2'), { name: 'datahook', version: '1.2', content: 'build D\n' });
        r = await pub(['--distribution', 'bionic', '--skip-signing', newer]);
        assert.equal(r.code, 0, r.stderr);
        const pkgs = await readFile(public_('dists/bionic/main/binary-amd64/Packages'), 'utf8');
        assert.deepEqual([...pkgs.matchAll(/^Version: (.*)$/gm)].map((m) => m[1]).sort(), ['1.0', '1.1', '1.2']);
      },
    );

    await t.test('signing without a key on the server: HTTP 500 explained', async () => {
      const deb = await sampleDeb(dir, { name: 'signme', version: '1.0' });
      const r = await pub(['--distribution', 'xenial', deb]);
      assert.equal(r.code, 5);
      assert.match(
        r.stderr,
        new RegExp(
          `publishing infra as \\./xenial failed: POST ${a.url.replace(/\./g, '\\.')}/api/publish/:\\.: HTTP 500: .*sign`,
        ),
      );
      assert.match(r.stderr, /hint: aptly could not sign the publication .* --skip-signing/);
      // The package was added before the publish failed: the error says so.
      assert.match(r.stderr, /left changed on the aptly server: added to repo infra: signme_1\.0_amd64$/m);
      const j = await pub([
        '--distribution',
        'xenial',
        '--json',
        await sampleDeb(dir, { name: 'signme', version: '1.0.1' }),
      ]);
      assert.equal(j.code, 5);
      const out = JSON.parse(j.stdout) as { ok: boolean; error: { code: string; message: string }; changes: string[] };
      assert.equal(out.ok, false);
      assert.equal(out.error.code, 'E_APTLY');
      assert.match(out.error.message, /HTTP 500/);
      assert.deepEqual(out.changes, ['added to repo infra: signme_1.0.1_amd64']);
      assert.deepEqual(await uploadDirs(a.url), ['datahook_bionic']);
    });

    await t.test('signing with a gpg key in the server keyring; gpgv verifies the result', async () => {
      const key = await makeKey(dir, 'aptly');
      const imp = run('gpg', ['--batch', '--import', key.priv], { env: { GNUPGHOME: a.gnupg } });
      assert.equal(imp.code, 0, imp.stderr);
      const deb = await sampleDeb(dir, { name: 'signme', version: '1.1' });
      const r = await kiln([
        'publish',
        'aptly',
        '--url',
        a.url,
        '--repo',
        'signed',
        '--distribution',
        'focal',
        '--prefix',
        'team/x',
        '--sign-key',
        key.fingerprint,
        deb,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /created publication team\/x\/focal;/);
      const keyring = join(dir, 'aptly-pub.gpg');
      assert.equal(
        run('gpg', ['--batch', '--yes', '--dearmor', '-o', keyring, key.pub], { env: { GNUPGHOME: a.gnupg } }).code,
        0,
      );
      const base = public_('team/x/dists/focal');
      const v = run('gpgv', ['--keyring', keyring, join(base, 'Release.gpg'), join(base, 'Release')]);
      assert.equal(v.code, 0, v.stderr);
      await stat(join(base, 'InRelease'));
      const r2 = await kiln([
        'publish',
        'aptly',
        '--url',
        a.url,
        '--repo',
        'signed',
        '--distribution',
        'focal',
        '--prefix',
        'team/x',
        '--sign-key',
        key.fingerprint,
        await sampleDeb(dir, { name: 'signme', version: '1.2' }),
      ]);
      assert.equal(r2.code, 0, r2.stderr);
      assert.match(r2.stdout, /updated publication team\/x\/focal;/);
    });

    await t.test(
      'the same bytes uploaded earlier by curl under another file name are not a conflict (compared by SHA256)',
      async () => {
        // Seed 003's flow: curl -F file=@datahook-1.0.0-Linux.deb, add, publish.
        await mkdir(join(dir, 'curl'), { recursive: true });
        const deb = await sampleDeb(join(dir, 'curl'), { name: 'datahook', version: '2.0', content: 'seed build\n' });
        const form = new FormData();
        form.append('file', new Blob([new Uint8Array(await readFile(deb))]), 'datahook-2.0-Linux.deb');
        assert.equal((await fetch(`${a.url}/api/files/seed_upload`, { method: 'POST', body: form })).status, 200);
        assert.equal((await fetch(`${a.url}/api/repos/infra/file/seed_upload`, { method: 'POST' })).status, 200);
        const r = await pub(['--distribution', 'bionic', '--skip-signing', deb]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^datahook 2\.0 \(amd64\) already in the repo with the same content$/m);
        assert.match(r.stdout, /updated publication \.\/bionic \(unsigned\); nothing uploaded/);
        const pkgs = await readFile(public_('dists/bionic/main/binary-amd64/Packages'), 'utf8');
        assert.match(pkgs, /^Filename: pool\/main\/d\/datahook\/datahook-2\.0-Linux\.deb$/m);
      },
    );

    await t.test(
      'checks before changes: a publication of another repo, or a pool file of another distribution, changes nothing',
      async () => {
        const deb = await sampleDeb(dir, { name: 'guard', version: '1.0', content: 'one\n' });
        // ./bionic belongs to repo infra: publishing repo "other" there is refused before "other" is created.
        let r = await kiln([
          'publish',
          'aptly',
          '--url',
          a.url,
          '--repo',
          'other',
          '--distribution',
          'bionic',
          '--skip-signing',
          '--retries',
          '1',
          deb,
        ]);
        assert.equal(r.code, 5);
        assert.match(r.stderr, /publication \.\/bionic already exists for local infra, not for local repo other/);
        assert.match(r.stderr, /nothing was changed on the aptly server/);
        assert.equal((await fetch(`${a.url}/api/repos/other`)).status, 404, 'repo not created');

        // Seed 003: the same version built on two distributions (different bytes) published under one prefix.
        r = await kiln([
          'publish',
          'aptly',
          '--url',
          a.url,
          '--repo',
          'infra_bionic',
          '--distribution',
          'bionic',
          '--prefix',
          'trunk',
          '--skip-signing',
          deb,
        ]);
        assert.equal(r.code, 0, r.stderr);
        await mkdir(join(dir, 'xenial'), { recursive: true });
        const other = await sampleDeb(join(dir, 'xenial'), { name: 'guard', version: '1.0', content: 'two\n' });
        r = await kiln([
          'publish',
          'aptly',
          '--url',
          a.url,
          '--repo',
          'infra_xenial',
          '--distribution',
          'xenial',
          '--prefix',
          'trunk',
          '--skip-signing',
          other,
        ]);
        assert.equal(r.code, 5);
        assert.match(
          r.stderr,
          /guard 1\.0 \(amd64\) is published in trunk\/bionic \(from local infra_bionic\) with other content .* would collide in the pool/,
        );
        assert.match(r.stderr, /hint: publications under one prefix share one pool.* its own --prefix/);
        assert.match(r.stderr, /nothing was changed on the aptly server/);
        assert.equal((await fetch(`${a.url}/api/repos/infra_xenial`)).status, 404, 'repo not created');
        r = await kiln([
          'publish',
          'aptly',
          '--url',
          a.url,
          '--repo',
          'infra_xenial',
          '--distribution',
          'xenial',
          '--prefix',
          'trunk-xenial',
          '--skip-signing',
          other,
        ]);
        assert.equal(r.code, 0, r.stderr);
      },
    );

    await t.test('bad input: not a .deb is refused before anything is uploaded', async () => {
      await writeFile(join(dir, 'x.deb'), 'junk');
      const r = await pub(['--distribution', 'bionic', '--skip-signing', join(dir, 'x.deb')]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /x\.deb: not a valid \.deb/);
    });
  },
);

test('aptly unreachable: clear error after the retries', async () => {
  const dir = await tmp('aptly');
  const deb = await sampleDeb(dir, { name: 'nowhere', version: '1.0' });
  const port = await freePort();
  const r = await kiln([
    'publish',
    'aptly',
    '--url',
    `http://127.0.0.1:${port}`,
    '--repo',
    'r',
    '--distribution',
    'd',
    '--retries',
    '2',
    '--skip-signing',
    deb,
  ]);
  assert.equal(r.code, 5);
  assert.match(
    r.stderr,
    new RegExp(
      `cannot reach aptly at http://127\\.0\\.0\\.1:${port} \\(GET http://127\\.0\\.0\\.1:${port}/api/version\\): ECONNREFUSED after 3 attempts`,
    ),
  );
});

test('retry rules: 503 and unexplained 500 are retried, a gpg 500 and 4xx are not', async () => {
  const script: [number, string][] = [];
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    const [status, body] = script.shift() ?? [200, '{}'];
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const http = new AptlyHttp({ baseUrl: url, retries: 3, backoffMs: 5 });
    script.push([503, ''], [500, '{"error":"database busy"}'], [200, '{"Version":"x"}']);
    let r = await http.request('GET', '/api/version');
    assert.equal(r.status, 200);
    assert.equal(hits, 3);

    hits = 0;
    script.push([500, '{"error":"unable to initialize GPG signer: no keys"}']);
    r = await http.request('PUT', '/api/publish/./d');
    assert.equal(r.status, 500);
    assert.equal(hits, 1);

    hits = 0;
    script.push([404, '{"error":"local repo with name x not found"}']);
    r = await http.request('GET', '/api/repos/x');
    assert.equal(r.status, 404);
    assert.equal(hits, 1);

    hits = 0;
    script.push([503, ''], [503, ''], [503, ''], [503, ''], [503, '']);
    r = await http.request('GET', '/api/version');
    assert.equal(r.status, 503);
    assert.equal(hits, 4, 'one try plus three retries');
  } finally {
    server.close();
  }
});
