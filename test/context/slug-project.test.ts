// Slugs and project identity from remote URLs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slugify } from '../../src/pipeline/context/slug.js';
import { parseProjectUrl } from '../../src/pipeline/context/project.js';

const slugs: [string, string][] = [
  ['main', 'main'],
  ['feature/Login_Page', 'feature-login-page'],
  ['v1.2.3', 'v1-2-3'],
  ['--weird--', 'weird'],
  ['Release/2024.01 (hotfix)', 'release-2024-01--hotfix'],
  ['build: [amd64, gcc]', 'build---amd64--gcc'],
  ['a'.repeat(70), 'a'.repeat(63)],
  [`${'b'.repeat(62)}/x`, 'b'.repeat(62)],
  ['ÄÖü', ''],
];
for (const [input, expected] of slugs) {
  test(`slugify(${JSON.stringify(input)})`, () => assert.equal(slugify(input), expected));
}

const urls: [
  string,
  { path: string; serverHost: string; serverUrl: string; serverPort: string; serverProtocol: string } | undefined,
][] = [
  [
    'https://gitlab.example.com/group/proj',
    {
      path: 'group/proj',
      serverHost: 'gitlab.example.com',
      serverUrl: 'https://gitlab.example.com',
      serverPort: '443',
      serverProtocol: 'https',
    },
  ],
  [
    'https://gitlab.example.com/group/sub/proj.git',
    {
      path: 'group/sub/proj',
      serverHost: 'gitlab.example.com',
      serverUrl: 'https://gitlab.example.com',
      serverPort: '443',
      serverProtocol: 'https',
    },
  ],
  [
    'https://user:token@git.corp:8443/a/b.git/',
    {
      path: 'a/b',
      serverHost: 'git.corp',
      serverUrl: 'https://git.corp:8443',
      serverPort: '8443',
      serverProtocol: 'https',
    },
  ],
  [
    'http://git.local/team/app',
    {
      path: 'team/app',
      serverHost: 'git.local',
      serverUrl: 'http://git.local',
      serverPort: '80',
      serverProtocol: 'http',
    },
  ],
  [
    'git@gitlab.com:gitlab-org/gitlab-runner.git',
    {
      path: 'gitlab-org/gitlab-runner',
      serverHost: 'gitlab.com',
      serverUrl: 'https://gitlab.com',
      serverPort: '443',
      serverProtocol: 'https',
    },
  ],
  [
    'ssh://git@gitlab.example.com:2222/group/proj.git',
    {
      path: 'group/proj',
      serverHost: 'gitlab.example.com',
      serverUrl: 'https://gitlab.example.com',
      serverPort: '443',
      serverProtocol: 'https',
    },
  ],
  [
    'gitlab.example.com:grp/proj',
    {
      path: 'grp/proj',
      serverHost: 'gitlab.example.com',
      serverUrl: 'https://gitlab.example.com',
      serverPort: '443',
      serverProtocol: 'https',
    },
  ],
  ['/local/path/repo', undefined],
  ['https://host.only/', undefined],
];
for (const [url, expected] of urls) {
  test(`parseProjectUrl(${url})`, () => assert.deepEqual(parseProjectUrl(url), expected));
}
