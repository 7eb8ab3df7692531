// `kiln runner run` with the Docker executor against the coordinator double: the job runs in its image with a
// service reachable by alias, the sources cloned on the host are in the container at /builds/<project path>,
// artifacts are uploaded from the bind-mounted workspace. Needs Docker (fails under CI=true without it).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { unzipSync } from 'fflate';
import { AMD64_SPEC, dockerOrSkip, testImage } from '../docker/helpers.js';
import { runRunner, scenario, type Scenario } from './helpers/setup.js';

const scenarios: Scenario[] = [];
after(async () => {
  for (const s of scenarios) await s.coordinator.stop();
});

test('a Docker job with a service: image, alias, sources and artifacts', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const image = await testImage(AMD64_SPEC);
  const s = await scenario(
    { 'data.txt': 'from the repository\n' },
    {
      executor: 'docker',
      extra: `  [runners.docker]\n    image = "${image}"\n    pull_policy = ["never"]\n    tls_verify = false`,
    },
  );
  scenarios.push(s);
  const web =
    'mkdir -p /tmp/www && echo "$SERVICE_GREETING" > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www';
  const job = s.coordinator.enqueue({
    name: 'in-docker',
    image: { name: image },
    services: [
      {
        name: image,
        alias: 'web',
        entrypoint: ['sh', '-c'],
        command: [web],
        variables: [{ key: 'SERVICE_GREETING', value: 'hello from service' }],
      },
    ],
    script: [
      'echo "dir=$CI_PROJECT_DIR"',
      'cat data.txt',
      'for i in $(seq 1 50); do busybox wget -qO- http://web:8080/ > got.txt && break; sleep 0.2; done',
      'cat got.txt',
    ],
    artifacts: [{ paths: ['got.txt'], artifact_type: 'archive', artifact_format: 'zip', when: 'on_success' }],
  });
  const r = await runRunner(s, 1).done;
  const trace = job.trace.toString();
  assert.equal(r.code, 0, `${r.stderr}\n${trace}`);
  assert.equal(job.status, 'success', trace);
  assert.match(trace, /dir=\/builds\/group\/app/);
  assert.match(r.stderr, /GitLab Runner settings kiln does not use .*runners\.docker\.tls_verify \(line \d+\)/);
  assert.match(trace, /from the repository/);
  assert.match(trace, /hello from service/);
  assert.equal(Buffer.from(unzipSync(job.artifacts[0].data)['got.txt']).toString(), 'hello from service\n');
});
