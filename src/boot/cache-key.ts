// Names the V8 code-cache file of one bundle under one Node.js runtime. V8 rejects cached data made by another V8
// version or under other V8 flags; giving each (bundle, node binary, flags) its own file means two runtimes that
// share a cache directory never overwrite each other's cache back and forth.

export interface Runtime {
  version: string;
  arch: string;
  execPath: string;
  execArgv: readonly string[];
  nodeOptions: string;
}

export function currentRuntime(): Runtime {
  return {
    version: process.version,
    arch: process.arch,
    execPath: process.execPath,
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS ?? '',
  };
}

/** `kiln-<build id>-<node version>-<arch>-<hash of binary path and flags>.v8cache` */
export function cacheFileName(buildId: string, rt: Runtime): string {
  const flags = fnv1a([rt.execPath, ...rt.execArgv, rt.nodeOptions].join('\0'));
  return `kiln-${buildId}-${rt.version}-${rt.arch}-${flags}.v8cache`;
}

/** The build id stamped on the bundle's first line (`// kiln-build:<hex>`), or undefined when it has none. */
export function bundleBuildId(source: string): string | undefined {
  const m = /^\/\/ kiln-build:([0-9a-f]{16})\n/.exec(source.slice(0, 64));
  return m?.[1];
}

/** 32-bit FNV-1a as 8 hex digits: a short, dependency-free name component (not a security hash). */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
