// Builders for Job and Pipeline objects in unit tests (no YAML involved).
import type { Job, Pipeline, Variables } from '../../../src/pipeline/model.js';

export function makeJob(name: string, over: Partial<Job> = {}): Job {
  return {
    name,
    baseName: name,
    stage: 'test',
    stageIndex: 1,
    position: { file: '.gitlab-ci.yml', line: 1, col: 1 },
    when: 'on_success',
    allowFailure: { allowed: false, exitCodes: [] },
    needs: null,
    dependencies: null,
    services: [],
    beforeScript: [],
    script: ['true'],
    afterScript: [],
    variables: {},
    cache: [],
    tags: [],
    retry: { max: 0, when: [], exitCodes: [] },
    interruptible: false,
    ...over,
  };
}

export function needs(...names: string[]): Job['needs'] {
  return names.map((job) => ({ job, artifacts: true, optional: false }));
}

export function makePipeline(jobs: Job[], over: Partial<Pipeline> = {}, userVariables: Variables = {}): Pipeline {
  const stages = [...new Set(['build', 'test', 'deploy', ...jobs.map((j) => j.stage)])];
  return {
    file: '/project/.gitlab-ci.yml',
    projectDir: '/project',
    stages,
    variables: {},
    context: { ref: 'main', isTag: false, source: 'push', predefined: { CI: 'true' }, userVariables },
    jobs: jobs.map((j) => ({ ...j, stageIndex: stages.indexOf(j.stage) })),
    excluded: [],
    autoCancel: { onNewCommit: 'conservative', onJobFailure: 'none' },
    ...over,
  };
}
