// Valid-Until across publishes: `add` and `refresh` keep the suite's validity period unless told otherwise,
// the policy path can come from Bottlerocket's PUBLISH_EXPIRATION_POLICY_PATH, and policy-file errors point at
// the line of the offending key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kiln, makeKey, sampleDeb, tmp } from './helpers.js';

interface Res {
  date: string;
  validUntil?: string;
  validitySource?: string;
}
const days = (r: Res) => (r.validUntil ? (Date.parse(r.validUntil) - Date.parse(r.date)) / 86400_000 : undefined);

test('add and refresh keep the previous Valid-Until period; --no-valid-until drops it', async () => {
  const dir = await tmp('validity');
  const key = await makeKey(dir, 'k');
  const repo = join(dir, 'repo');
  const pub = async (args: string[]): Promise<Res> => {
    const r = await kiln(['publish', 'apt', ...args, '--repo', repo, '--suite', 's', '--sign-key', key.priv, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Res;
  };
  assert.equal(days(await pub(['--valid-for', '7d', await sampleDeb(dir, { name: 'pa', version: '1' })])), 7);
  const added = await pub([await sampleDeb(dir, { name: 'pb', version: '1' })]);
  assert.equal(days(added), 7, 'add without --valid-for keeps 7 days');
  assert.match(added.validitySource ?? '', /^the previous Release \(valid for 1w; --no-valid-until drops it\)$/);
  assert.equal(days(await pub(['refresh'])), 7, 'refresh without --valid-for keeps 7 days');
  const text = await kiln(['publish', 'apt', 'refresh', '--repo', repo, '--suite', 's', '--sign-key', key.priv]);
  assert.match(text.stdout, /Valid-Until .* \(from the previous Release \(valid for 1w; --no-valid-until drops it\)\)/);
  assert.equal(days(await pub(['refresh', '--valid-for', '2d'])), 2, 'an explicit period replaces it');
  assert.equal(days(await pub(['refresh', '--no-valid-until'])), undefined);
  assert.equal(
    days(await pub([await sampleDeb(dir, { name: 'pc', version: '1' })])),
    undefined,
    'dropped stays dropped',
  );
  const both = await kiln([
    'publish',
    'apt',
    'refresh',
    '--repo',
    repo,
    '--suite',
    's',
    '--sign-key',
    key.priv,
    '--no-valid-until',
    '--valid-for',
    '1d',
  ]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--no-valid-until cannot be combined with --valid-for or --policy/);
});

test('the policy path comes from PUBLISH_EXPIRATION_POLICY_PATH when --policy is not given', async () => {
  const dir = await tmp('validity');
  const policy = join(dir, 'repo-expirations.toml');
  await writeFile(
    policy,
    "snapshot_expiration = '2 weeks'\ntargets_expiration = '1 week'\ntimestamp_expiration = '3 days'\n",
  );
  const deb = await sampleDeb(dir, { name: 'pa', version: '1' });
  const r = await kiln(['publish', 'apt', '--repo', join(dir, 'repo'), '--suite', 's', '--unsigned', '--json', deb], {
    PUBLISH_EXPIRATION_POLICY_PATH: policy,
  });
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as Res;
  assert.equal(days(res), 3);
  assert.equal(res.validitySource, policy);
  const missing = await kiln(['publish', 'apt', '--repo', join(dir, 'repo'), '--suite', 's', '--unsigned', deb], {
    PUBLISH_EXPIRATION_POLICY_PATH: join(dir, 'nope.toml'),
  });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /\$PUBLISH_EXPIRATION_POLICY_PATH .*nope\.toml: no such file/);
});

test('policy-file errors carry the position of the key or of the syntax error', async () => {
  const dir = await tmp('validity');
  const deb = await sampleDeb(dir, { name: 'pa', version: '1' });
  const cases: [string, string, RegExp][] = [
    [
      'bad.toml',
      "snapshot_expiration = '2 weeks'\ntargets_expiration = '1 week'\n  timestamp_expiration = 'soon'\n",
      /bad\.toml:3:3: timestamp_expiration: "soon" is not a duration/,
    ],
    ['extra.toml', "snapshot_expiration = '2 weeks'\n\nbogus = 1\n", /extra\.toml:3:1: bogus: unknown field/],
    ['syntax.toml', "snapshot_expiration = '2 weeks'\ntargets_expiration = \n", /syntax\.toml:2:\d+: cannot parse/],
    [
      'p.json',
      '{\n  "snapshot_expiration": "2 weeks",\n  "targets_expiration": 7\n}\n',
      /p\.json:3:3: targets_expiration: "7" is not a duration/,
    ],
    ['broken.json', '{\n  "snapshot_expiration": "2 weeks",,\n}\n', /broken\.json:2:\d+: cannot parse/],
  ];
  for (const [name, text, want] of cases) {
    await writeFile(join(dir, name), text);
    const r = await kiln([
      'publish',
      'apt',
      '--repo',
      join(dir, 'repo'),
      '--suite',
      's',
      '--unsigned',
      '--policy',
      join(dir, name),
      deb,
    ]);
    assert.equal(r.code, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, want);
  }
});
