// Input values keep their `!reference` tags. GitLab reads `include:inputs` with the same YAML loader as the rest of
// the file, so `extra-rules: [!reference [.rules, rules]]` is a list holding a reference; interpolated into the
// included file (`rules: ["$[[ inputs.extra-rules ]]", ...]`) it is resolved with every other reference, after
// includes and extends (GitLab docs, ci/yaml/yaml_optimization.md "!reference tags"; published in GNOME's
// gnome-build-meta, which passes a `!reference` to citemplates' markdown-lint component).
import type { YNode, YRef } from '../yaml/node.js';

/** A `!reference` inside an input value, as found in the including file (its position is kept for errors). */
export class InputReference {
  constructor(readonly node: YRef) {}
  toString(): string {
    return `!reference [${this.node.path.join(', ')}]`;
  }
}

/** The plain value of an input given in YAML, with `!reference` tags kept as InputReference. */
export function inputValue(n: YNode): unknown {
  switch (n.kind) {
    case 'scalar':
      return n.value;
    case 'seq':
      return n.items.map(inputValue);
    case 'ref':
      return new InputReference(n);
    default: {
      const o: Record<string, unknown> = {};
      for (const e of n.entries.values()) o[e.key] = inputValue(e.value);
      return o;
    }
  }
}
