// Generates the benchmark pipelines: a 1000-job file (extends chains, parallel:matrix, rules, needs) and a 10-job one.
export function bigPipeline() {
  const out = [];
  out.push('stages: [build, test, deploy]', 'variables:', '  GLOBAL: "1"', '');
  out.push(
    '.base:',
    '  image: debian:12',
    '  before_script: [echo base]',
    '  rules:',
    '    - if: $CI_PIPELINE_SOURCE == "merge_request_event"',
    '      when: never',
    '    - if: $CI_COMMIT_BRANCH =~ /^(main|release\\/.*)$/ && $GLOBAL == "1"',
    '    - when: manual',
    '',
  );
  out.push(
    '.build:',
    '  extends: .base',
    '  stage: build',
    '  cache:',
    '    key: $CI_JOB_NAME',
    '    paths: [target/]',
    '',
  );
  for (let i = 0; i < 40; i++) {
    out.push(
      `build-${i}:`,
      '  extends: .build',
      `  script: [make component-${i}]`,
      '  parallel:',
      '    matrix:',
      '      - ARCH: [amd64, arm64, riscv64, s390x, ppc64le]',
      '        DISTRO: [bookworm, trixie, jammy, noble]',
      '',
    );
  }
  for (let i = 0; i < 200; i++) {
    out.push(
      `test-${i}:`,
      '  extends: .base',
      '  stage: test',
      `  needs: [build-${i % 40}]`,
      `  script: [make test-${i}]`,
      '  variables:',
      `    SHARD: "${i}"`,
      '',
    );
  }
  return `${out.join('\n')}\n`;
}

export function smallPipeline() {
  const out = ['stages: [build, test, deploy]', ''];
  for (let i = 0; i < 4; i++) out.push(`build-${i}:`, '  stage: build', `  script: make ${i}`, '');
  for (let i = 0; i < 4; i++)
    out.push(`test-${i}:`, '  stage: test', `  needs: [build-${i}]`, '  script: make test', '');
  out.push(
    'deploy:',
    '  stage: deploy',
    '  script: make deploy',
    '  rules:',
    '    - if: $CI_COMMIT_BRANCH == "main"',
    '',
  );
  out.push('docs:', '  stage: deploy', '  script: make docs', '  when: manual', '');
  return `${out.join('\n')}\n`;
}

/** `jobs` jobs built with YAML merge keys (`<<: *tpl`) instead of `extends`: the shape of pipelines that kiln once
 * loaded in quadratic time (every alias looked its anchor up by walking the document again). */
export function mergeKeyPipeline(jobs = 1500) {
  const out = [
    'stages: [build, test]',
    '',
    '.tpl: &tpl',
    '  image: debian:12',
    '  stage: test',
    '  before_script: [echo base]',
    '  variables: &vars',
    '    A: "1"',
    '    B: "2"',
    '  cache: &cache',
    '    key: $CI_JOB_NAME',
    '    paths: [target/]',
    '',
  ];
  for (let i = 0; i < jobs; i++) {
    out.push(
      `job-${i}:`,
      '  <<: *tpl',
      '  variables:',
      '    <<: *vars',
      `    SHARD: "${i}"`,
      `  script: [make test-${i}]`,
      '',
    );
  }
  return `${out.join('\n')}\n`;
}
