// Pure rules: how GIT_* variables are read (GitLab Runner's documented values) and how relative submodule URLs
// resolve (git's rule in gitmodules(5): relative to the superproject's URL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  GitSettingsError,
  parseSubmodulePaths,
  readGitSettings,
  submoduleSelected,
} from '../../src/workspace/git-settings.js';
import { resolveUrl } from '../../src/workspace/submodules.js';

test('defaults: fetch, checkout, full history, no submodules', () => {
  const s = readGitSettings({});
  assert.deepEqual(
    { ...s, warnings: s.warnings.length },
    {
      strategy: 'fetch',
      checkout: true,
      depth: undefined,
      submodules: 'none',
      submodulePaths: [],
      submoduleDepth: undefined,
      warnings: 0,
    },
  );
});

test('GIT_DEPTH 0 means full history; GIT_SUBMODULE_DEPTH defaults to GIT_DEPTH and overrides it', () => {
  assert.equal(readGitSettings({ GIT_DEPTH: '0' }).depth, undefined);
  assert.equal(readGitSettings({ GIT_DEPTH: '5' }).submoduleDepth, 5);
  assert.equal(readGitSettings({ GIT_DEPTH: '5', GIT_SUBMODULE_DEPTH: '1' }).submoduleDepth, 1);
  assert.equal(readGitSettings({ GIT_SUBMODULE_UPDATE_FLAGS: '--jobs 4 --depth 3' }).submoduleDepth, 3);
  assert.throws(() => readGitSettings({ GIT_DEPTH: 'ten' }), GitSettingsError);
});

test('unknown strategies are errors, as GitLab Runner refuses them', () => {
  assert.throws(() => readGitSettings({ GIT_STRATEGY: 'rsync' }), /unknown GIT_STRATEGY "rsync"/);
  assert.throws(() => readGitSettings({ GIT_SUBMODULE_STRATEGY: 'deep' }), /unknown GIT_SUBMODULE_STRATEGY "deep"/);
});

test('--remote and unknown update flags are reported, harmless ones are not', () => {
  assert.deepEqual(
    readGitSettings({ GIT_SUBMODULE_UPDATE_FLAGS: '--jobs 4 -j8 --no-fetch --recommend-shallow' }).warnings,
    [],
  );
  const w = readGitSettings({ GIT_SUBMODULE_UPDATE_FLAGS: '--remote --frobnicate' }).warnings;
  assert.equal(w.length, 2);
  assert.match(w[0], /--remote: kiln checks submodules out at the commit the project records/);
  assert.match(w[1], /--frobnicate: not a flag kiln applies/);
});

test('GIT_SUBMODULE_PATHS: pathspecs with :(exclude), :! and globs', () => {
  const specs = parseSubmodulePaths('vendor ./third/zlib/ :(exclude)vendor/old :!vendor/skip*');
  assert.deepEqual(specs, [
    { pattern: 'vendor', exclude: false },
    { pattern: 'third/zlib', exclude: false },
    { pattern: 'vendor/old', exclude: true },
    { pattern: 'vendor/skip*', exclude: true },
  ]);
  assert.equal(submoduleSelected('vendor/lib', specs), true);
  assert.equal(submoduleSelected('third/zlib', specs), true);
  assert.equal(submoduleSelected('third/other', specs), false);
  assert.equal(submoduleSelected('vendor/old', specs), false);
  assert.equal(submoduleSelected('vendor/skipme', specs), false);
  assert.equal(submoduleSelected('anything', parseSubmodulePaths(':(exclude)other')), true);
  assert.equal(submoduleSelected('libs/a/b', parseSubmodulePaths('libs/*/b')), true);
});

test('relative submodule URLs resolve against the superproject URL, like git', () => {
  assert.equal(
    resolveUrl('https://gitlab.example/group/app.git', '../lib.git'),
    'https://gitlab.example/group/lib.git',
  );
  assert.equal(
    resolveUrl('https://gitlab.example/group/app.git', '../../other/lib.git'),
    'https://gitlab.example/other/lib.git',
  );
  assert.equal(
    resolveUrl('https://gitlab.example/group/app.git', './sub.git'),
    'https://gitlab.example/group/app.git/sub.git',
  );
  assert.equal(resolveUrl('git@gitlab.example:group/app.git', '../lib.git'), 'git@gitlab.example:group/lib.git');
  assert.equal(resolveUrl('/srv/repos/app', '../lib'), '/srv/repos/lib');
  assert.equal(resolveUrl('/srv/repos/app', 'https://elsewhere/x.git'), 'https://elsewhere/x.git');
});
