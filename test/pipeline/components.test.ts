// include:component (GitLab docs: ci/components/_index.md) and variables in include locations (ci/yaml/includes.md,
// "Use variables with include").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { lintPipeline } from '../../src/pipeline/load.js';
import { parseComponent } from '../../src/pipeline/compose/vendored.js';
import { FEATURES, job, load } from './helpers.js';

const headSha = (): string => execFileSync('git', ['rev-parse', 'main'], { cwd: FEATURES, encoding: 'utf8' }).trim();

test('component addresses: <server>/<group...>/<project>/<name>@<version>, the last segment is the name', () => {
  assert.deepEqual(parseComponent('gitlab.com/a/b/c/d@1.0'), {
    host: 'gitlab.com',
    project: 'a/b/c',
    name: 'd',
    reference: '1.0',
  });
  assert.deepEqual(parseComponent('gitlab.com/a/b/d@~latest'), {
    host: 'gitlab.com',
    project: 'a/b',
    name: 'd',
    reference: '~latest',
  });
  assert.equal(typeof parseComponent('gitlab.com/a/d'), 'string', 'no version');
  assert.equal(typeof parseComponent('gitlab.com/../b/d@1'), 'string', 'no dot segments');
});

test('components: $CI_SERVER_FQDN expanded, the vendored copy read with its spec:inputs and component context', async () => {
  const p = await load('components');
  const b = job(p, 'build-image');
  assert.equal(b.stage, 'build', 'the input default');
  assert.equal(b.image?.name, 'registry.example.com/build:1.2.7', 'component.name and the resolved component.version');
  assert.deepEqual(b.script, [
    'echo "Building with component version 1.2.7"',
    'echo "Component reference 1.2 at 0123456789abcdef0123456789abcdef01234567"',
  ]);
});

test("a component of the project itself at $CI_COMMIT_SHA is the working tree's templates/<name>.yml", async () => {
  const p = await load('components');
  const sha = p.context.predefined.CI_COMMIT_SHA;
  assert.match(sha, /^[0-9a-f]{40}$/);
  assert.equal(sha, headSha());
  assert.deepEqual(job(p, 'self-one').script, [`echo self-test ${sha}`]);
});

test('include locations expand predefined and --variable variables (local, project, ref, file)', async () => {
  const p = await load('components');
  assert.equal(job(p, 'from-local-with-variable').position.file, 'ci/project.yml');
  assert.equal(
    job(p, 'from-project-with-variables').position.file,
    '.kiln-vendor/project/group/shared/main/ci/main.yml',
  );
  // --variable (a manual pipeline run variable) is usable too: here it names another project path.
  const errs = await lintPipeline({
    projectDir: join(FEATURES, 'components'),
    ref: 'main',
    projectUrl: 'https://gitlab.example.com/group/project',
    variables: { CI_PROJECT_NAME: { value: 'other', expand: false } },
  });
  assert.deepEqual(
    errs.map((e) => e.message),
    ['.gitlab-ci.yml:8:12: include:2:local: local file `ci/other.yml` does not exist'],
  );
});

test("the file's own variables are not expanded in includes; undeclared component context; bad address", async () => {
  const errs = await lintPipeline({
    projectDir: join(FEATURES, 'components'),
    file: 'errors.yml',
    ref: 'main',
    projectUrl: 'https://gitlab.example.com/group/project',
  });
  assert.deepEqual(
    errs.map((e) => e.message),
    [
      'errors.yml:5:12: include:0:local: local file `ci/.yml` does not exist',
      'errors.yml:7:5: include:1: `.kiln-vendor/component/gitlab.example.com/group/ci-components/lint/main.yml`: ' +
        'unknown interpolation key: `name`',
      'errors.yml:8:16: include:2:component: `gitlab.example.com/no-name@1.0`: component address should be ' +
        '<server>/<group>/<project>/<component name>@<version>',
    ],
  );
});

test("kiln.toml gitlab.url sets the server CI_SERVER_FQDN names (over the git remote's)", async () => {
  const p = await load('inputs', { serverUrl: 'https://gitlab.gnome.org' });
  assert.equal(p.context.predefined.CI_SERVER_FQDN, 'gitlab.gnome.org');
  assert.equal(p.context.predefined.CI_PROJECT_URL, 'https://gitlab.gnome.org/group/project');
});

test('vendored paths never leave the vendor folder (hostile remote/template/component addresses)', async () => {
  const { vendorRel } = await import('../../src/pipeline/compose/vendored.js');
  assert.equal(vendorRel('.kiln-vendor', 'remote', 'example.com/ci/x.yml'), '.kiln-vendor/remote/example.com/ci/x.yml');
  assert.equal(vendorRel('.kiln-vendor', 'remote', 'example.com/../../../etc/passwd'), undefined);
  assert.equal(vendorRel('.kiln-vendor', 'template', '../project/group/x/HEAD/ci.yml'), undefined);
  const dir = join(FEATURES, 'include-escape');
  const errs = await lintPipeline({ projectDir: dir, ref: 'main' });
  assert.deepEqual(
    errs.map((e) => e.message),
    [
      '.gitlab-ci.yml:2:13: include:0:remote: include:remote `https://example.com/../../../../etc/passwd` would be read ' +
        'from outside the vendor folder',
      '.gitlab-ci.yml:3:15: include:1:template: include:template `../../kiln.toml` would be read from outside the ' +
        'vendor folder',
    ],
  );
});
