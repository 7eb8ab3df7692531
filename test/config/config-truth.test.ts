// kiln.toml: what `kiln config` shows is what `kiln run` uses (concurrent), tables declared only through a
// dotted header have a position, and self-referencing environment values are explained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { readConfigText } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';

const ROOT = join(import.meta.dirname, '..', '..');

test('kiln config shows the concurrent default kiln run uses: the number of CPUs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-config-'));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'kiln.js'), 'config', '--json'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, KILN_FROM_SOURCE: '1', XDG_CONFIG_HOME: join(dir, 'xdg') },
  });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { settings: { key: string; value: unknown; source: string }[] };
  assert.deepEqual(
    j.settings.find((s) => s.key === 'concurrent'),
    { key: 'concurrent', value: availableParallelism(), source: 'default' },
  );
});

test('an unknown table declared only by a dotted header has file and position', () => {
  assert.throws(
    () => readConfigText('concurrent = 2\n\n[caches.env]\nfoo = 1\n', '/p/kiln.toml'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.position, { file: '/p/kiln.toml', line: 3, col: 1 });
      assert.match(e.message, /^\/p\/kiln\.toml:3:1: caches: unknown key "caches"/);
      return true;
    },
  );
  assert.throws(
    () => readConfigText('concurrent = 2\ncaches.env.foo = 1\n', '/p/kiln.toml'),
    /^ConfigError: \/p\/kiln\.toml:2:1: caches: unknown key/,
  );
});

test('environment = ["PATH=/opt/x/bin:$PATH"] is explained: values are literal', () => {
  for (const entry of ['PATH=/opt/x/bin:$PATH', 'PATH=${PATH}:/opt/x/bin', 'LD_LIBRARY_PATH=/x:$LD_LIBRARY_PATH']) {
    const text = `[runner]\nenvironment = [\n  "DDK_HOME=/root/atlas500",\n  "${entry.replace(/\$/g, '$')}",\n]\n`;
    assert.throws(
      () => readConfigText(text, 'k.toml'),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(
          e.message,
          /runner:environment:1: ".*": environment values are literal \(as in GitLab Runner\), so \$\w+ is not the previous \w+ but the text/,
        );
        assert.match(e.message, /pre_build_script/);
        return true;
      },
    );
  }
  // References to other variables are left alone (the seed's DDK_HOME is used by pre_build_script).
  readConfigText('[runner]\nenvironment = ["A=1", "B=$A", "PATHS=$PATHX"]\n', 'k.toml');
});
