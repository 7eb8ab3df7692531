// The pipelines the `kiln run` benchmark runs with kiln and gitlab-ci-local.

export function oneJob() {
  return 'hello:\n  script: [echo hello]\n';
}

export function twentyJobs() {
  let y = '';
  for (let i = 0; i < 20; i++) y += `job-${i}:\n  script: [echo job ${i}]\n`;
  return y;
}

// A node one-liner that writes 2000 files of ~25 KiB (50 MiB) into deps/ unless the cache brought them.
const GEN = `node -e 'const fs=require("fs"),c=require("crypto");for(let i=0;i<2000;i++){const d="deps/d"+(i%20);fs.mkdirSync(d,{recursive:true});fs.writeFileSync(d+"/f"+i+".bin",c.randomBytes(26214))}'`;

export function dagNine() {
  return `stages: [setup, build, test, package, report]
setup:
  stage: setup
  cache:
    key: deps-v1
    paths: [deps/]
  script:
    - test -d deps/d0 || ${GEN}
    - test "$(find deps -type f | wc -l)" = 2000
${[1, 2, 3]
  .map(
    (i) => `build-${i}:
  stage: build
  needs: [setup]
  cache:
    key: deps-v1
    paths: [deps/]
    policy: pull
  script:
    - test "$(find deps -type f | wc -l)" = 2000
    - mkdir -p out && head -c 100000 deps/d${i}/f${i}.bin > out/app-${i}
  artifacts:
    paths: [out/]
`,
  )
  .join('')}${[1, 2, 3]
    .map(
      (i) => `test-${i}:
  stage: test
  needs: [build-${i}]
  script:
    - test -s out/app-${i}
`,
    )
    .join('')}package:
  stage: package
  needs: [build-1, build-2, build-3, test-1, test-2, test-3]
  script:
    - mkdir -p dist && tar -cf dist/all.tar out
  artifacts:
    paths: [dist/]
report:
  stage: report
  needs: [package]
  script:
    - test -s dist/all.tar
`;
}
