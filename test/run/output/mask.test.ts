import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamMasker } from '../../../src/run/output/mask.js';

function feed(masker: StreamMasker, chunks: Buffer[]): string {
  const out = chunks.map((c) => masker.push(c));
  out.push(masker.flush());
  return Buffer.concat(out).toString();
}

test('a secret split across chunks at every possible boundary is masked', () => {
  const secret = 'hunter2-SECRET-value';
  const text = `before ${secret} middle ${secret}${secret} after`;
  const expected = 'before [MASKED] middle [MASKED][MASKED] after';
  const data = Buffer.from(text);
  for (let cut = 1; cut < data.length; cut++) {
    const m = new StreamMasker([secret]);
    assert.equal(feed(m, [data.subarray(0, cut), data.subarray(cut)]), expected, `cut at ${cut}`);
  }
  // One byte at a time.
  const m = new StreamMasker([secret]);
  assert.equal(
    feed(
      m,
      [...data].map((b) => Buffer.from([b])),
    ),
    expected,
  );
});

test('random chunking with several secrets (one containing another) never leaks', () => {
  const secrets = ['abcabcabd', 'token-123', 'abc'];
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 200; round++) {
    const parts: string[] = [];
    for (let i = 0; i < 20; i++)
      parts.push(['x', 'ab', 'abcabcabd', 'token-123', 'abcab', 'token-12', ' '][Math.floor(rnd() * 7)]);
    const text = parts.join('');
    const data = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length;) {
      const n = 1 + Math.floor(rnd() * 6);
      chunks.push(data.subarray(i, i + n));
      i += n;
    }
    const out = feed(new StreamMasker(secrets), chunks);
    const whole = new StreamMasker(secrets).maskString(text);
    assert.equal(out, whole, `round ${round}: chunked output equals whole-text masking`);
    assert.ok(!out.includes('token-123') && !out.includes('abcabcabd') && !out.includes('abc'), out);
  }
});

test('a prefix of a secret at the end of the stream is emitted as is; no secrets = passthrough', () => {
  const m = new StreamMasker(['password']);
  assert.equal(feed(m, [Buffer.from('my pass'), Buffer.from('wor')]), 'my passwor');
  const none = new StreamMasker(['']);
  const buf = Buffer.from('plain');
  assert.equal(none.push(buf), buf);
});

test('multi-byte UTF-8 secrets split inside a character', () => {
  const secret = 'pässwörd€';
  const data = Buffer.from(`x${secret}y`);
  for (let cut = 1; cut < data.length; cut++) {
    assert.equal(feed(new StreamMasker([secret]), [data.subarray(0, cut), data.subarray(cut)]), 'x[MASKED]y');
  }
});
