// Project identity (CI_PROJECT_*, CI_SERVER_*) from a remote URL: https://host[:port]/group/sub/name(.git),
// ssh://git@host[:port]/group/name.git, or scp-like git@host:group/name.git.
import { basename } from 'node:path';

export interface ProjectIdentity {
  /** group/sub/name */
  path: string;
  serverProtocol: string;
  serverHost: string;
  serverPort: string;
  /** https://host[:port] (port omitted when default). */
  serverUrl: string;
}

export function parseProjectUrl(url: string): ProjectIdentity | undefined {
  const u = url.trim();
  let protocol = 'https';
  let host: string;
  let port = '';
  let path: string;
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/\/)(.+)$/.exec(u);
  const full = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]+@)?([^/:]+)(?::(\d+))?\/(.+)$/i.exec(u);
  if (full) {
    const scheme = full[1].toLowerCase();
    protocol = scheme === 'http' ? 'http' : 'https';
    host = full[2];
    port = scheme === 'http' || scheme === 'https' ? (full[3] ?? '') : '';
    path = full[4];
  } else if (scp && !u.includes('://')) {
    host = scp[1];
    path = scp[2];
  } else {
    return undefined;
  }
  path = path
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/^\/+/, '');
  if (!path) return undefined;
  const defaultPort = protocol === 'http' ? '80' : '443';
  const serverPort = port || defaultPort;
  const serverUrl = `${protocol}://${host}${port && port !== defaultPort ? `:${port}` : ''}`;
  return { path, serverProtocol: protocol, serverHost: host, serverPort, serverUrl };
}

export function localIdentity(projectDir: string): ProjectIdentity {
  const name = basename(projectDir.replace(/\/+$/, '')) || 'project';
  return {
    path: `local/${name}`,
    serverProtocol: 'https',
    serverHost: 'localhost',
    serverPort: '443',
    serverUrl: 'https://localhost',
  };
}
