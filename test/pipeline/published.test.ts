// Published pipelines that GitLab accepts lint clean in kiln (test/corpus/published/, see its README):
// - real-world-2: 46 pipelines of other projects, with their remote/project/template/component includes vendored
//   (vendored/<folder>/ is what `.kiln-vendor/` holds: real files where this project has them, stand-ins otherwise;
//   vendored/README.md says which), and the project files its corpus folder lacks (project-files/, real files);
// - gitlab-templates: each of GitLab's templates that is a whole pipeline lints on its own, with the other templates
//   vendored; each fragment lints when included the way its header or GitLab's docs say.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { lintPipeline } from '../../src/pipeline/load.js';
import { PUBLISHED_DIR } from './corpus-helpers.js';

const RW2 = join(PUBLISHED_DIR, 'real-world-2');
const VENDORED = join(PUBLISHED_DIR, 'vendored');
const PROJECT_FILES = join(PUBLISHED_DIR, 'project-files');
const TEMPLATES = join(PUBLISHED_DIR, 'gitlab-templates');
const work = mkdtempSync(join(tmpdir(), 'kiln-published-'));
after(() => rmSync(work, { recursive: true, force: true }));

function lintIn(dir: string, name: string) {
  return lintPipeline({
    projectDir: dir,
    ref: 'main',
    source: 'push',
    defaultBranch: 'main',
    projectUrl: `https://gitlab.example.com/group/${name}`,
  });
}

const folders = readdirSync(RW2)
  .filter((d) => existsSync(join(RW2, d, '.gitlab-ci.yml')))
  .sort();

test('real-world-2 has the 46 published pipelines', () => assert.equal(folders.length, 46));

for (const folder of folders) {
  test(`real-world-2 ${folder}: lints clean with its includes vendored`, async () => {
    const dir = join(work, 'rw2', folder);
    cpSync(join(RW2, folder), dir, { recursive: true });
    if (existsSync(join(PROJECT_FILES, folder))) cpSync(join(PROJECT_FILES, folder), dir, { recursive: true });
    if (existsSync(join(VENDORED, folder)))
      cpSync(join(VENDORED, folder), join(dir, '.kiln-vendor'), { recursive: true });
    const errors = await lintIn(dir, folder);
    assert.deepEqual(
      errors.map((e) => e.message),
      [],
    );
  });
}

function templateNames(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.gitlab-ci.yml')) out.push(relative(TEMPLATES, p));
    }
  };
  walk(TEMPLATES);
  return out.sort();
}

/** Auto DevOps's stages: the deploy/performance templates use them (they are included by Auto-DevOps.gitlab-ci.yml). */
const AUTO_DEVOPS_STAGES = [
  'build',
  'test',
  'deploy',
  'review',
  'dast',
  'staging',
  'canary',
  'production',
  'incremental rollout 10%',
  'incremental rollout 25%',
  'incremental rollout 50%',
  'incremental rollout 100%',
  'performance',
  'cleanup',
];
const WITH = (stage: string) => ['build', 'test', 'deploy', stage];

/**
 * Fragments: how each is meant to be included (from its header comment or the page its header links to).
 * `stages` is the including pipeline's stage list; `job` a job of the including pipeline extending a hidden one.
 */
const FRAGMENTS: Record<string, { stages?: string[]; job?: string; how: string }> = {
  'Jobs/Browser-Performance-Testing.gitlab-ci.yml': { stages: AUTO_DEVOPS_STAGES, how: 'included by Auto-DevOps' },
  'Jobs/Browser-Performance-Testing.latest.gitlab-ci.yml': {
    stages: AUTO_DEVOPS_STAGES,
    how: 'included by Auto-DevOps',
  },
  'Jobs/DAST-Default-Branch-Deploy.gitlab-ci.yml': { stages: AUTO_DEVOPS_STAGES, how: 'included by Auto-DevOps' },
  'Jobs/Deploy.gitlab-ci.yml': { stages: AUTO_DEVOPS_STAGES, how: 'included by Auto-DevOps' },
  'Jobs/Deploy.latest.gitlab-ci.yml': { stages: AUTO_DEVOPS_STAGES, how: 'included by Auto-DevOps' },
  'Jobs/Deploy/ECS.gitlab-ci.yml': { stages: AUTO_DEVOPS_STAGES, how: 'included by AWS/Deploy-ECS' },
  'Jobs/Helm-2to3.gitlab-ci.yml': { stages: AUTO_DEVOPS_STAGES, how: 'included by Auto-DevOps' },
  'Jobs/Load-Performance-Testing.gitlab-ci.yml': { stages: AUTO_DEVOPS_STAGES, how: 'included by Auto-DevOps' },
  'Security/API-Fuzzing.gitlab-ci.yml': { stages: WITH('fuzz'), how: 'header: add a fuzz stage' },
  'Security/API-Fuzzing.latest.gitlab-ci.yml': { stages: WITH('fuzz'), how: 'header: add a fuzz stage' },
  'Security/API-Security.gitlab-ci.yml': { stages: WITH('dast'), how: 'header: add a dast stage' },
  'Security/API-Security.latest.gitlab-ci.yml': { stages: WITH('dast'), how: 'header: add a dast stage' },
  'Security/BAS.latest.gitlab-ci.yml': { stages: WITH('dast'), how: 'header: add a dast stage' },
  'Security/DAST-API.gitlab-ci.yml': { stages: WITH('dast'), how: 'header: add a dast stage' },
  'Security/DAST-API.latest.gitlab-ci.yml': { stages: WITH('dast'), how: 'header: add a dast stage' },
  'Security/DAST.gitlab-ci.yml': { stages: WITH('dast'), how: 'header: add a dast stage' },
  'Security/DAST.latest.gitlab-ci.yml': { stages: WITH('dast'), how: 'header: add a dast stage' },
  'Katalon.gitlab-ci.yml': { job: '.katalon_tests_with_artifacts', how: 'header: a job that extends .katalon_tests*' },
  'Security/API-Discovery.gitlab-ci.yml': {
    job: '.api_discovery_java_spring_boot',
    how: 'hidden jobs only (docs: extend one)',
  },
  'Terraform/Module-Base.gitlab-ci.yml': {
    job: '.terraform-module:deploy',
    how: 'header: hidden jobs only, extend them',
  },
  'Workflows/Branch-Pipelines.gitlab-ci.yml': { how: "workflow: only, next to the project's jobs" },
  'Workflows/MergeRequest-Pipelines.gitlab-ci.yml': { how: "workflow: only, next to the project's jobs" },
};

const templates = templateNames();
const templateDir = join(work, 'templates');
cpSync(TEMPLATES, join(templateDir, '.kiln-vendor', 'template'), { recursive: true });

test("gitlab-templates has GitLab's 133 templates; every fragment named here exists", () => {
  assert.equal(templates.length, 133);
  for (const f of Object.keys(FRAGMENTS)) assert.ok(templates.includes(f), f);
});

for (const name of templates) {
  const fragment = FRAGMENTS[name];
  const label = fragment
    ? `template ${name}: lints when included (${fragment.how})`
    : `template ${name}: lints on its own`;
  test(label, async () => {
    const dir = join(work, 'template', name.replace(/\//g, '__'));
    cpSync(templateDir, dir, { recursive: true });
    let main: string;
    if (!fragment) main = readFileSync(join(TEMPLATES, name), 'utf8');
    else {
      main = `include:\n  - template: ${JSON.stringify(name)}\n`;
      if (fragment.stages) main += `stages: ${JSON.stringify(fragment.stages)}\n`;
      main += fragment.job
        ? `uses-template:\n  extends: ${JSON.stringify(fragment.job)}\n`
        : fragment.stages
          ? ''
          : 'build:\n  script: [make]\n';
    }
    writeFileSync(join(dir, '.gitlab-ci.yml'), main);
    const errors = await lintIn(dir, 'project');
    assert.deepEqual(
      errors.map((e) => e.message),
      [],
    );
  });
}
