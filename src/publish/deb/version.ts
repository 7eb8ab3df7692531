// Debian version comparison ([epoch:]upstream[-revision]) following the algorithm in Debian Policy 5.6.12:
// alternate non-digit and digit runs; in non-digit runs "~" sorts before everything, letters before others.

function parse(v: string): [number, string, string] {
  let epoch = 0;
  let rest = v;
  const colon = v.indexOf(':');
  if (colon > 0) {
    epoch = Number.parseInt(v.slice(0, colon), 10) || 0;
    rest = v.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash >= 0) return [epoch, rest.slice(0, dash), rest.slice(dash + 1)];
  return [epoch, rest, ''];
}

function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // non-digit prefix
    while ((i < a.length && !/\d/.test(a[i])) || (j < b.length && !/\d/.test(b[j]))) {
      const ca = i < a.length && !/\d/.test(a[i]) ? a[i] : undefined;
      const cb = j < b.length && !/\d/.test(b[j]) ? b[j] : undefined;
      const d = order(ca) - order(cb);
      if (d !== 0) return d < 0 ? -1 : 1;
      if (ca !== undefined) i++;
      if (cb !== undefined) j++;
    }
    let na = '';
    let nb = '';
    while (i < a.length && /\d/.test(a[i])) na += a[i++];
    while (j < b.length && /\d/.test(b[j])) nb += b[j++];
    const x = BigInt(na || '0');
    const y = BigInt(nb || '0');
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Negative if a < b, 0 if equal, positive if a > b. */
export function compareVersions(a: string, b: string): number {
  const [ea, ua, ra] = parse(a);
  const [eb, ub, rb] = parse(b);
  if (ea !== eb) return ea < eb ? -1 : 1;
  return comparePart(ua, ub) || comparePart(ra, rb);
}
