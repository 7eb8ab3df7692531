import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AFTER_SCRIPT_DEFAULT_MS, parseGoDuration, stepLimits } from '../../../src/run/job/script-timeouts.js';

test('Go durations as GitLab Runner reads RUNNER_SCRIPT_TIMEOUT', () => {
  assert.equal(parseGoDuration('10s'), 10_000);
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5h'), 5_400_000);
  assert.equal(parseGoDuration('250ms'), 250);
  assert.equal(parseGoDuration(' 2m '), 120_000);
  for (const bad of ['', '0', '10', 'soon', '1 h', '-1m', '1m-', 'h'])
    assert.equal(parseGoDuration(bad), undefined, bad);
});

test('step limits: the script gets RUNNER_SCRIPT_TIMEOUT only below the job timeout; after_script never outlives the job', () => {
  const none = stepLimits(3_600_000, {});
  assert.deepEqual(
    [none.scriptMs, none.scriptLimitOwn, none.afterMs(0), none.warnings],
    [3_600_000, false, AFTER_SCRIPT_DEFAULT_MS, []],
  );
  const own = stepLimits(600_000, { RUNNER_SCRIPT_TIMEOUT: '1m', RUNNER_AFTER_SCRIPT_TIMEOUT: '2m' });
  assert.deepEqual([own.scriptMs, own.scriptLimitOwn, own.afterMs(60_000)], [60_000, true, 120_000]);
  assert.equal(own.afterMs(590_000), 10_000, 'only what is left of the job');
  const longer = stepLimits(60_000, { RUNNER_SCRIPT_TIMEOUT: '2h' });
  assert.deepEqual([longer.scriptMs, longer.scriptLimitOwn], [60_000, false]);
  const bad = stepLimits(60_000, { RUNNER_AFTER_SCRIPT_TIMEOUT: 'later' });
  assert.equal(bad.afterMs(0), 60_000 > AFTER_SCRIPT_DEFAULT_MS ? AFTER_SCRIPT_DEFAULT_MS : 60_000);
  assert.match(bad.warnings[0], /RUNNER_AFTER_SCRIPT_TIMEOUT "later" is not a duration/);
});
