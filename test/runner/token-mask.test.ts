// Token prefixes masked in the job log (GitLab Runner's tokensanitizer behaviour), whatever the chunking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenPrefixMasker } from '../../src/runner/token-mask.js';

function run(chunks: string[], prefixes: string[] = []): string {
  const m = new TokenPrefixMasker(prefixes);
  return Buffer.concat([...chunks.map((c) => m.push(Buffer.from(c))), m.push(Buffer.alloc(0), true)]).toString();
}

test('glpat- by default, payload prefixes too; the prefix stays visible; no token characters after it: untouched', () => {
  assert.equal(run(['key glpat-AbC_12.3=x-y rest\n']), 'key glpat-[MASKED] rest\n');
  assert.equal(run(['a gldt-abc b\n']), 'a gldt-abc b\n');
  assert.equal(run(['a gldt-abc b\n'], ['gldt-']), 'a gldt-[MASKED] b\n');
  assert.equal(run(['glpat- alone, glpat-\n']), 'glpat- alone, glpat-\n');
});

test('every split of the input gives the same output', () => {
  const text = 'x glpat-SECRETtoken123 y glpat-zz\nz gldt-q.w=e end glpat-';
  const want = 'x glpat-[MASKED] y glpat-[MASKED]\nz gldt-[MASKED] end glpat-';
  for (let a = 0; a <= text.length; a++) {
    for (let b = a; b <= text.length; b += 3) {
      assert.equal(run([text.slice(0, a), text.slice(a, b), text.slice(b)], ['gldt-']), want, `split at ${a}/${b}`);
    }
  }
});
