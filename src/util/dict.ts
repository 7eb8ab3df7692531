// Name → value tables for names that come from users (CI/CD variables, dotenv reports, environment). A plain `{}`
// has Object.prototype behind it: `vars["__proto__"] = v` changes the prototype instead of adding the variable,
// and `vars["constructor"]` finds a function. GitLab accepts any [A-Za-z0-9_] name, `__proto__` included, so these
// tables have no prototype.

/** A prototype-less object holding `init`'s own enumerable entries (later ones win). */
export function dict<T>(...init: (Record<string, T> | undefined)[]): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const src of init) if (src) Object.assign(out, src);
  return out;
}

/** Whether `table` has its own entry `name` (never an inherited one). */
export function hasEntry(table: object, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(table, name);
}
