// The default mirror of `kiln image bootstrap`: taken from the host's own apt sources, never a host name built
// into kiln. The host already says which mirror it may and should use (a company mirror, a proxy, a snapshot).
// Read: /etc/apt/sources.list and sources.list.d/*.list (one-line form: "deb [options] URI suite components")
// and sources.list.d/*.sources (deb822: Types/URIs/Suites/Components paragraphs, "Enabled: no" skipped).
// For a target distro, the first "deb" URI whose path ends in /<distro> (or /<distro>-ports) is chosen; when the
// host itself runs that distro (/etc/os-release ID), its first non-security "deb" URI is the fallback.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface AptSource {
  uri: string;
  suites: string[];
  file: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** One-line sources: "deb [arch=amd64 signed-by=...] http://host/debian bookworm main". */
export function parseOneLine(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
    if (m) out.push({ uri: m[1], suites: [m[2]], file });
  }
  return out;
}

/** deb822 sources (.sources files). */
export function parseDeb822(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const line of para.split('\n')) {
      if (line.startsWith('#')) continue;
      if (/^[ \t]/.test(line) && last) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`);
        continue;
      }
      const i = line.indexOf(':');
      if (i > 0) {
        last = line.slice(0, i).trim().toLowerCase();
        fields.set(last, line.slice(i + 1).trim());
      }
    }
    const words = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    if (!words('types').includes('deb') || /^(no|false)$/i.test(fields.get('enabled') ?? '')) continue;
    for (const uri of words('uris')) out.push({ uri, suites: words('suites'), file });
  }
  return out;
}

/** Every "deb" source of the host, in apt's reading order. */
export function hostAptSources(root = '/'): AptSource[] {
  const etc = join(root, 'etc/apt');
  const out: AptSource[] = [];
  const main = join(etc, 'sources.list');
  const text = readText(main);
  if (text !== undefined) out.push(...parseOneLine(text, main));
  let names: string[] = [];
  try {
    names = readdirSync(join(etc, 'sources.list.d')).sort();
  } catch {
    /* none */
  }
  for (const name of names) {
    const file = join(etc, 'sources.list.d', name);
    if (name.endsWith('.list')) out.push(...parseOneLine(readText(file) ?? '', file));
    else if (name.endsWith('.sources')) out.push(...parseDeb822(readText(file) ?? '', file));
  }
  return out;
}

function hostDistro(root: string): string | undefined {
  const text = readText(join(root, 'etc/os-release')) ?? readText(join(root, 'usr/lib/os-release'));
  return text ? /^ID="?([^"\n]+)"?$/m.exec(text)?.[1] : undefined;
}

/** The mirror for `distro` from the host's apt sources, with the file it came from; undefined if none fits. */
export function hostMirror(distro: string, root = '/'): { mirror: string; file: string } | undefined {
  const sources = hostAptSources(root).filter((s) => /^(https?|file):\/\//.test(s.uri));
  const path = (uri: string) => uri.replace(/\/+$/, '').replace(/^[a-z]+:\/\/[^/]*/, '');
  const byName = sources.find((s) => new RegExp(`/${distro}(-ports)?$`).test(path(s.uri)));
  const pick =
    byName ??
    (hostDistro(root) === distro
      ? sources.find((s) => !/-security$/.test(path(s.uri)) && !s.suites.every((x) => /-security$/.test(x)))
      : undefined);
  return pick ? { mirror: pick.uri.replace(/\/+$/, ''), file: pick.file } : undefined;
}
