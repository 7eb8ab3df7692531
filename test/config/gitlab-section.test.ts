// kiln.toml [gitlab]: the server (CI_SERVER_*, components, kiln vendor's API) and where templates come from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { ConfigError, ConfigErrors } from '../../src/errors.js';

function project(toml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-gitlab-toml-'));
  writeFileSync(join(dir, 'kiln.toml'), toml);
  return dir;
}

test('[gitlab] url and templates_url are read (trailing slash dropped) with their origin', () => {
  const dir = project('[gitlab]\nurl = "https://gitlab.gnome.org/"\ntemplates_url = "http://mirror.local/templates"\n');
  const { config, origins } = loadConfig({ projectDir: dir, userConfigDir: dir + '/none' });
  assert.deepEqual(config.gitlab, { url: 'https://gitlab.gnome.org', templatesUrl: 'http://mirror.local/templates' });
  assert.equal(origins['gitlab.url'].position?.line, 2);
});

test('[gitlab] url must be an http(s) URL: error at kiln.toml:line:col', () => {
  const dir = project('[gitlab]\nurl = "gitlab.gnome.org"\n');
  assert.throws(
    () => loadConfig({ projectDir: dir, userConfigDir: dir + '/none' }),
    (e: unknown) => {
      const errs = e instanceof ConfigErrors ? e.errors : e instanceof ConfigError ? [e] : [];
      return errs.length === 1 && /kiln\.toml:2:\d+: gitlab:url: expected an http\(s\) URL/.test(errs[0].message);
    },
  );
});
