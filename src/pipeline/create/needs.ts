// Resolves needs/dependencies to concrete job names (a need on a parallel job means all its instances; a need may
// name one instance literally; needs:parallel:matrix picks instances), checks them, and finds cycles.
import { ConfigError } from '../../errors.js';
import type { ExcludedJob, NeedSpec } from '../model.js';
import type { Problems } from '../keywords/check.js';
import { combinations, matrixName } from '../keywords/parallel.js';
import { expandMatrixExpressions } from './matrix-expressions.js';
import type { Created } from './instances.js';

export interface NeedsIndex {
  /** base name → created instance names */
  byBase: Map<string, string[]>;
  /** every created job name → stage index */
  stageOf: Map<string, number>;
  /** names (base or instance) of jobs defined in the YAML but not created here */
  excluded: Set<string>;
  /** base names of every job defined in the YAML */
  defined: Set<string>;
  /** base names of jobs with errors of their own (needs on them are not reported again) */
  invalid: Set<string>;
}

export function buildIndex(
  created: Created[],
  excluded: ExcludedJob[],
  definedBases: Iterable<string>,
  excludedBases: Iterable<string>,
  invalid: Iterable<string> = [],
): NeedsIndex {
  const byBase = new Map<string, string[]>();
  const stageOf = new Map<string, number>();
  for (const c of created) {
    const list = byBase.get(c.job.baseName) ?? [];
    list.push(c.job.name);
    byBase.set(c.job.baseName, list);
    stageOf.set(c.job.name, c.job.stageIndex);
  }
  const ex = new Set<string>(excluded.map((e) => e.name));
  for (const b of excludedBases) ex.add(b);
  return { byBase, stageOf, excluded: ex, defined: new Set(definedBases), invalid: new Set(invalid) };
}

export function resolveNeeds(created: Created[], idx: NeedsIndex, p: Problems): void {
  for (const c of created) {
    const path = ['jobs', c.def.name, 'needs'];
    if (c.needRefs === null) {
      c.job.needs = null;
    } else {
      const out: NeedSpec[] = [];
      const seen = new Set<string>();
      for (const ref of c.needRefs) {
        if (ref.external) continue;
        let names: string[] | undefined;
        if (ref.matrix) {
          let matrix = ref.matrix;
          try {
            matrix = expandMatrixExpressions(ref.matrix, c.job.parallel?.matrix, c.job.name, ref.pos, path);
          } catch (err) {
            if (!(err instanceof ConfigError)) throw err;
            p.push(err);
            continue;
          }
          names = matrix.flatMap(combinations).map((v) => matrixName(ref.job, v));
          const missing = names.filter((n) => !idx.stageOf.has(n));
          if (missing.length) {
            if (!ref.optional) report(p, ref.pos, path, missing[0], idx);
            names = names.filter((n) => idx.stageOf.has(n));
          }
        } else if (idx.byBase.has(ref.job)) {
          names = idx.byBase.get(ref.job);
        } else if (idx.stageOf.has(ref.job)) {
          names = [ref.job];
        } else {
          if (!ref.optional) report(p, ref.pos, path, ref.job, idx);
          continue;
        }
        for (const n of names ?? []) {
          if (n === c.job.name) {
            p.push(new ConfigError(`job "${n}" cannot need itself`, ref.pos, path));
            continue;
          }
          if ((idx.stageOf.get(n) ?? 0) > c.job.stageIndex) {
            p.push(new ConfigError(`job "${n}" is not defined in current or prior stages`, ref.pos, path));
            continue;
          }
          if (seen.has(n)) continue;
          seen.add(n);
          out.push({ job: n, artifacts: ref.artifacts, optional: ref.optional });
        }
      }
      c.job.needs = out;
    }
    if (c.def.dependencies) {
      const deps: string[] = [];
      for (const d of c.def.dependencies) {
        const names = idx.byBase.get(d) ?? (idx.stageOf.has(d) ? [d] : undefined);
        if (!names) {
          if (!idx.excluded.has(d) && !idx.defined.has(d)) {
            p.push(
              new ConfigError(`job "${d}" is not defined`, c.def.dependenciesNode?.pos ?? c.def.position, [
                'jobs',
                c.def.name,
                'dependencies',
              ]),
            );
          }
          continue;
        }
        const needed = c.job.needs ? new Set(c.job.needs.map((x) => x.job)) : undefined;
        for (const n of names) {
          if (needed && !needed.has(n)) {
            p.push(
              new ConfigError(`job "${d}" should be part of needs`, c.def.dependenciesNode?.pos ?? c.def.position, [
                'jobs',
                c.def.name,
                'dependencies',
              ]),
            );
          } else if (!needed && (idx.stageOf.get(n) ?? 0) >= c.job.stageIndex) {
            p.push(
              new ConfigError(
                `job "${n}" is not defined in current or prior stages`,
                c.def.dependenciesNode?.pos ?? c.def.position,
                ['jobs', c.def.name, 'dependencies'],
              ),
            );
          } else deps.push(n);
        }
      }
      c.job.dependencies = deps;
    }
  }
}

function report(p: Problems, pos: ConfigError['position'], path: string[], name: string, idx: NeedsIndex): void {
  const base = name.replace(/(: \[.*\]| \d+\/\d+)$/, '');
  if (idx.invalid.has(base) || idx.invalid.has(name)) return;
  if (idx.excluded.has(name) || (idx.defined.has(base) && !idx.byBase.has(base))) {
    p.push(
      new ConfigError(
        `job "${name}" is not created in this pipeline (excluded by rules, only or except); ` +
          'use needs:optional to need a job that may be absent',
        pos,
        path,
      ),
    );
  } else {
    p.push(new ConfigError(`job "${name}" is not defined`, pos, path));
  }
}

/** Reports one error per cycle in the needs graph. */
export function findNeedCycles(created: Created[], p: Problems): void {
  const byName = new Map(created.map((c) => [c.job.name, c]));
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 1);
    stack.push(name);
    for (const n of byName.get(name)?.job.needs ?? []) {
      const s = state.get(n.job);
      if (s === 1) {
        const cycle = [...stack.slice(stack.indexOf(n.job)), n.job];
        const c = byName.get(name)!;
        p.push(
          new ConfigError(
            `circular dependency detected in needs: ${cycle.join(' -> ')}`,
            c.def.needsNode?.pos ?? c.def.position,
            ['jobs', c.def.name, 'needs'],
          ),
        );
      } else if (s === undefined && byName.has(n.job)) visit(n.job);
    }
    stack.pop();
    state.set(name, 2);
  };
  for (const c of created) if (!state.has(c.job.name)) visit(c.job.name);
}
