// Matrix expressions in `needs:parallel:matrix` (GitLab 18.6+, CI/CD YAML reference, `needs:parallel:matrix`):
// `$[[ matrix.NAME ]]` stands for the needing job's own value of the matrix variable NAME, so each instance of a
// matrix job needs the matching instance of another ("one-to-one needs"):
//
//   test:
//     parallel: { matrix: [{ ARCH: [amd64, arm64] }] }
//     needs: [{ job: build, parallel: { matrix: [{ ARCH: $[[ matrix.ARCH ]] }] } }]
//
// Only the `matrix.` context exists here; any other `$[[ ... ]]` left in a need is a mistake reported as such.
import { ConfigError, type SourcePosition } from '../../errors.js';
import type { MatrixEntry } from '../keywords/parallel.js';

const EXPRESSION = /\$\[\[\s*([^\]]*?)\s*\]\]/g;

/** `entries` with every matrix expression replaced by the job's value; throws ConfigError for an unknown name. */
export function expandMatrixExpressions(
  entries: MatrixEntry[],
  own: Record<string, string> | undefined,
  job: string,
  pos: SourcePosition,
  path: string[],
): MatrixEntry[] {
  const hasExpression = (v: string) => v.includes('$[[');
  if (!entries.some((e) => e.some(([, vals]) => vals.some(hasExpression)))) return entries;
  const expand = (text: string): string =>
    text.replace(EXPRESSION, (_all, expr: string) => {
      const m = /^matrix\.([A-Za-z0-9_]+)$/.exec(expr);
      if (!m)
        throw new ConfigError(
          `"$[[ ${expr} ]]": only matrix expressions ($[[ matrix.NAME ]]) can be used here`,
          pos,
          path,
        );
      if (!own)
        throw new ConfigError(`"$[[ ${expr} ]]": job "${job}" has no parallel:matrix to take ${m[1]} from`, pos, path);
      if (!Object.prototype.hasOwnProperty.call(own, m[1])) {
        throw new ConfigError(
          `"$[[ ${expr} ]]": job "${job}" has no matrix variable ${m[1]} (it has ${Object.keys(own).join(', ')})`,
          pos,
          path,
        );
      }
      return own[m[1]];
    });
  return entries.map((e) => e.map(([k, vals]) => [k, vals.map(expand)] as [string, string[]]));
}
