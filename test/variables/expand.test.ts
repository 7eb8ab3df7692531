// Variable expansion: $X, ${X}, $$ escape, unknown → "", nesting, expand: false, cycles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandString, resolveVariables, referencedNames } from '../../src/pipeline/variables/expand.js';
import type { Variables } from '../../src/pipeline/model.js';

const env: Record<string, string> = { A: 'alpha', B: 'beta', EMPTY: '', A_B: 'ab' };
const look = (n: string): string | undefined => env[n];

const cases: [string, string][] = [
  ['plain', 'plain'],
  ['$A', 'alpha'],
  ['${A}', 'alpha'],
  ['x$A/y', 'xalpha/y'],
  ['${A}_suffix', 'alpha_suffix'],
  ['$A_suffix', ''], // the name runs as far as [A-Za-z0-9_] goes: $A_suffix is unknown
  ['$A_B', 'ab'],
  ['$A-$B', 'alpha-beta'],
  ['$$A', '$A'],
  ['$$$A', '$alpha'],
  ['$$', '$'],
  ['cost: 5$', 'cost: 5$'],
  ['$ A', '$ A'],
  ['$1', '$1'],
  ['${', '${'],
  ['${A', '${A'],
  ['${}', '${}'],
  ['${A-B}', '${A-B}'],
  ['$UNKNOWN', ''],
  ['pre${UNKNOWN}post', 'prepost'],
  ['$EMPTY|', '|'],
  ['%A%', '%A%'],
];

for (const [input, expected] of cases) {
  test(`expandString(${JSON.stringify(input)})`, () => {
    assert.equal(expandString(input, look), expected);
  });
}

const def = (value: string, expand = true): { value: string; expand: boolean } => ({ value, expand });

test('resolveVariables: nested references resolve whatever the order', () => {
  const defs: Variables = { A: def('$B-a'), B: def('$C-b'), C: def('c') };
  assert.deepEqual({ ...resolveVariables(defs, {}) }, { A: 'c-b-a', B: 'c-b', C: 'c' });
});

test('resolveVariables: base values are visible and defs override them', () => {
  const base = { CI_PROJECT_DIR: '/builds/g/p', GOPATH: '/old' };
  const defs: Variables = { GOPATH: def('$CI_PROJECT_DIR/.go'), GOCACHE: def('$GOPATH/cache') };
  assert.deepEqual(
    { ...resolveVariables(defs, base) },
    {
      CI_PROJECT_DIR: '/builds/g/p',
      GOPATH: '/builds/g/p/.go',
      GOCACHE: '/builds/g/p/.go/cache',
    },
  );
});

test('resolveVariables: a variable referring to itself sees the base value', () => {
  const out = resolveVariables({ PATH: def('/opt/bin:$PATH') }, { PATH: '/usr/bin' });
  assert.equal(out.PATH, '/opt/bin:/usr/bin');
  assert.equal(resolveVariables({ X: def('[$X]') }, {}).X, '[]');
});

test('resolveVariables: expand: false keeps the value literally', () => {
  const out = resolveVariables({ RAW: def('$A and $$', false), USE: def('<$RAW>') }, { A: 'x' });
  assert.equal(out.RAW, '$A and $$');
  // A literal value is not expanded again where it is used.
  assert.equal(out.USE, '<$A and $$>');
});

test('resolveVariables: $$ escape survives nesting once', () => {
  const out = resolveVariables({ PRICE: def('$$5'), MSG: def('costs $PRICE') }, {});
  assert.equal(out.PRICE, '$5');
  assert.equal(out.MSG, 'costs $5');
});

test('resolveVariables: cycles terminate', () => {
  const out = resolveVariables({ A: def('a$B'), B: def('b$A') }, {});
  assert.equal(typeof out.A, 'string');
  assert.equal(typeof out.B, 'string');
  assert.equal(out.A, 'ab');
  const self = resolveVariables({ A: def('$B'), B: def('$C'), C: def('$A') }, { A: 'base' });
  assert.equal(self.A, 'base');
});

test('resolveVariables: big chains are fast and exact', () => {
  const defs: Variables = {};
  for (let i = 0; i < 2000; i++) defs[`V${i}`] = def(i === 1999 ? 'end' : `$V${i + 1}`);
  const out = resolveVariables(defs, {});
  assert.equal(out.V0, 'end');
});

test('referencedNames lists each referenced name once, ignoring $$', () => {
  assert.deepEqual(referencedNames('$A ${B} $A $$C'), ['A', 'B']);
});

test('expandExisting keeps unknown references as written (rules:exists / changes paths)', async () => {
  const { expandExisting } = await import('../../src/pipeline/variables/expand.js');
  assert.equal(
    expandExisting('images/$SERVICE/Dockerfile', (n) => (n === 'SERVICE' ? 'api' : undefined)),
    'images/api/Dockerfile',
  );
  assert.equal(
    expandExisting('$UNKNOWN/${ALSO}/x', () => undefined),
    '$UNKNOWN/${ALSO}/x',
  );
  assert.equal(
    expandExisting('a$$b', () => undefined),
    'a$b',
  );
});
