// Job names GitLab refuses as such. A job's name is at most 255 characters: GitLab's job entry says
// "name is too long (maximum is 255 characters)" (docs: ci/jobs/_index.md, job name limitations; the limit is the
// length of ci_builds.name). Hidden jobs (`.name`) are templates, never jobs, and are not checked.
// Names made by parallel:matrix are not checked here: GitLab does not validate them, and whether a longer one can be
// stored depends on the instance's database (GitLab.com's column holds 255, a self-managed schema may hold more).
import type { SourcePosition } from '../../errors.js';
import type { Problems } from './check.js';

export const MAX_JOB_NAME_LENGTH = 255;

/** False (and an error at the job's key) when GitLab refuses `name` as a job name. */
export function checkJobName(p: Problems, name: string, keyPos: SourcePosition): boolean {
  // Ruby counts characters, not bytes.
  if ([...name].length <= MAX_JOB_NAME_LENGTH) return true;
  p.add({ pos: keyPos }, ['jobs', name], `name is too long (maximum is ${MAX_JOB_NAME_LENGTH} characters)`);
  return false;
}
