// Fuzzing the loader: deterministic mutations of the corpus files (deleted/duplicated/swapped lines, changed
// indentation, random bytes). Loading must end in a pipeline or typed errors — never a TypeError — and quickly.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { KilnError } from '../../src/errors.js';
import { buildFileContext } from '../../src/pipeline/context/files.js';
import { buildPipelineContext } from '../../src/pipeline/context/predefined.js';
import { loadWithContext } from '../../src/pipeline/load.js';
import { corpusFolders, corpusOptions, CORPUS_DIR } from './corpus-helpers.js';

const CASES_PER_FOLDER = 25;
const MAX_MS_PER_CASE = 5000;

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPECIALS = [
  ':',
  '-',
  '[',
  ']',
  '{',
  '}',
  '*',
  '&',
  '!',
  '|',
  '>',
  '#',
  '"',
  "'",
  '<<: *x',
  '!reference [a]',
  '\t',
  '\u0000',
  '%',
  '@',
  '`',
  '$',
  '\\',
];

export function mutate(text: string, rand: () => number): string {
  const lines = text.split('\n');
  const pick = () => Math.floor(rand() * lines.length);
  const steps = 1 + Math.floor(rand() * 4);
  for (let s = 0; s < steps; s++) {
    const i = pick();
    switch (Math.floor(rand() * 6)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, lines[i] ?? '');
        break;
      case 2: {
        const j = pick();
        [lines[i], lines[j]] = [lines[j], lines[i]];
        break;
      }
      case 3:
        lines[i] = rand() < 0.5 ? `  ${lines[i]}` : (lines[i] ?? '').replace(/^ {1,2}/, '');
        break;
      case 4: {
        const l = lines[i] ?? '';
        const at = Math.floor(rand() * (l.length + 1));
        lines[i] = l.slice(0, at) + SPECIALS[Math.floor(rand() * SPECIALS.length)] + l.slice(at);
        break;
      }
      default: {
        const l = lines[i] ?? '';
        const at = Math.floor(rand() * (l.length + 1));
        const bytes = Array.from({ length: 1 + Math.floor(rand() * 6) }, () =>
          String.fromCharCode(Math.floor(rand() * 256)),
        );
        lines[i] = l.slice(0, at) + bytes.join('') + l.slice(at + 1);
      }
    }
  }
  return lines.join('\n');
}

for (const folder of corpusFolders()) {
  test(`fuzz ${folder}: mutated YAML gives a pipeline or typed errors`, async () => {
    const o = corpusOptions(folder);
    const ctx = await buildPipelineContext({ ...o, userVariables: {} });
    const files = await buildFileContext(o.projectDir, ctx);
    const original = readFileSync(join(CORPUS_DIR, folder, '.gitlab-ci.yml'), 'utf8');
    const rand = prng([...folder].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7));
    let withErrors = 0;
    for (let n = 0; n < CASES_PER_FOLDER; n++) {
      const content = mutate(original, rand);
      const started = Date.now();
      let result;
      try {
        result = loadWithContext({ projectDir: o.projectDir, file: '.gitlab-ci.yml', ctx, files, content });
      } catch (err) {
        assert.ok(
          err instanceof KilnError,
          `case ${n}: untyped ${(err as Error)?.stack ?? String(err)}\n--- input ---\n${content}`,
        );
        withErrors++;
        continue;
      }
      const ms = Date.now() - started;
      assert.ok(ms < MAX_MS_PER_CASE, `case ${n} took ${ms} ms`);
      for (const e of result.errors) {
        assert.ok(e instanceof KilnError);
        assert.ok(
          e.position && e.message.startsWith(`${e.position.file}:${e.position.line}:${e.position.col}: `),
          `case ${n}: error without file:line:col: ${e.message}`,
        );
      }
      if (result.errors.length) withErrors++;
    }
    assert.ok(withErrors > 0, 'the mutations should break at least some files');
  });
}
