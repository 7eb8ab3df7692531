// Go binaries built during the test run: the pure-Go static build and a cgo build, recognised from the Go
// build-id note (which stays in a PT_NOTE segment, so it is found without section headers too).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { analyzeFile } from '../../src/abi/analyze.js';
import { builtinDb, resolveTargets } from '../../src/abi/targets.js';
import { judge } from '../../src/abi/verdict.js';
import { skipUnless, stripSectionHeaders, tempDir } from './helpers/toolchain.js';

const skip = skipUnless('go');
const dir = tempDir('kiln-abi-go-');
after(() => rmSync(dir, { recursive: true, force: true }));

function goBuild(name: string, source: string, cgo: boolean): string {
  const src = join(dir, `${name}.go`);
  const out = join(dir, name);
  writeFileSync(src, source);
  const r = spawnSync('go', ['build', '-o', out, src], {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      CGO_ENABLED: cgo ? '1' : '0',
      GOCACHE: join(tmpdir(), 'kiln-abi-gocache'),
      GO111MODULE: 'off',
      GOFLAGS: '',
    },
  });
  assert.equal(r.status, 0, r.stderr);
  return out;
}

test('pure Go binary: static, no libc, language go, passes glibc and musl targets', { skip }, () => {
  const bin = goBuild('hello', 'package main\nimport "fmt"\nfunc main() { fmt.Println("hi") }\n', false);
  for (const path of [bin, stripSectionHeaders(bin, `${bin}-noshdr`)]) {
    const r = analyzeFile(path);
    assert.ok(r);
    assert.deepEqual(r.languages, ['go']);
    assert.ok(r.goBuildId && r.goBuildId.length > 10);
    assert.equal(r.linkage, 'static');
    assert.equal(r.libc, 'none');
    const db = builtinDb();
    for (const t of resolveTargets(db, ['alpine', 'rhel-7', 'kylin-server-v10'])) {
      assert.equal(judge(r, t, db, { bundled: new Set(), allowed: new Set() }).ok, true, t.id);
    }
  }
});

test('cgo binary: dynamic glibc executable that is also recognised as Go', { skip: skip || skipUnless('gcc') }, () => {
  const bin = goBuild(
    'cgo',
    'package main\n/*\n#include <stdlib.h>\n*/\nimport "C"\nimport "fmt"\n' +
      'func main() { fmt.Println(C.abs(-3)) }\n',
    true,
  );
  const r = analyzeFile(bin);
  assert.ok(r);
  assert.deepEqual(r.languages, ['go']);
  assert.equal(r.linkage, 'dynamic');
  assert.equal(r.libc, 'glibc');
  assert.ok(r.needed.includes('libc.so.6'));
  assert.ok(r.minGlibc);
});
