// The release id of the running kiln: scripts/build.mjs replaces the placeholder below with one hash shared by
// both bundles (kiln.cjs, kiln-plan.cjs), so what one command caches another can use. From the TypeScript sources
// it stays the placeholder and `releaseId()` is undefined: nothing keyed by a release may be cached then (the
// sources can change without a build).
const STAMP = 'kiln-release:0000000000000000';

export function releaseId(): string | undefined {
  const id = STAMP.slice('kiln-release:'.length);
  return /^0+$/.test(id) ? undefined : id;
}
