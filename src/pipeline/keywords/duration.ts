// GitLab's human durations (`timeout`, `start_in`, `expire_in`): "1h 30m", "3 hours", "1 day and 2 hours", "3600".
const UNITS: Record<string, number> = {
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
  w: 604800,
  wk: 604800,
  week: 604800,
  weeks: 604800,
  mo: 2592000,
  month: 2592000,
  months: 2592000,
  y: 31536000,
  yr: 31536000,
  year: 31536000,
  years: 31536000,
};

/** "1h 30m", "3 hours", "90 minutes", "1 day and 2 hours", "3600" → seconds. */
export function parseDuration(s: string): number | undefined {
  const text = s
    .trim()
    .toLowerCase()
    .replace(/\band\b/g, ' ')
    .replace(/,/g, ' ');
  if (/^\d+$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d+)?)\s*([a-z]+)/g;
  let total = 0;
  let consumed = '';
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const unit = UNITS[m[2]];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    consumed += m[0];
  }
  if (!consumed || text.replace(re, '').trim() !== '') return undefined;
  return Math.round(total);
}
