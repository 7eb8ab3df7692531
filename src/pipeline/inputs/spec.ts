// The `spec:` header of a CI file (GitLab's Header::Root / Header::Spec / Header::Input entries):
//   spec:
//     inputs:              # each input: type (string | number | boolean | array, default string), default
//       name: {...}        # (no default = mandatory), options, regex, description
//     component: [name, sha, version, reference]   # component context fields the file may use
// Structural problems are ConfigErrors at their place in the header.
import { ConfigError } from '../../errors.js';
import { describe, toPlain, type YMap, type YNode } from '../yaml/node.js';

export const INPUT_TYPES = ['array', 'boolean', 'number', 'string'] as const;
export type InputType = (typeof INPUT_TYPES)[number];
export const COMPONENT_FIELDS = ['name', 'sha', 'version', 'reference'] as const;
export type ComponentField = (typeof COMPONENT_FIELDS)[number];

const INPUT_KEYS = ['default', 'description', 'options', 'regex', 'type', 'rules'];
const SPEC_KEYS = ['inputs', 'component', 'description', 'include'];

export interface InputSpec {
  name: string;
  /** undefined when `type` names no known type (reported when the inputs are checked, as GitLab does). */
  type: InputType | undefined;
  typeName?: string;
  /** No `default` key: the input is mandatory. `default: null` makes it optional without a value. */
  hasDefault: boolean;
  default?: unknown;
  options?: unknown[];
  regex?: string;
  node: YNode;
}

export interface Header {
  inputs: InputSpec[];
  component: ComponentField[];
}

export function readHeader(root: YNode, errors: ConfigError[]): Header {
  const header: Header = { inputs: [], component: [] };
  if (root.kind !== 'map') {
    errors.push(new ConfigError(`header should be a hash, got ${describe(root)}`, root.pos, ['header']));
    return header;
  }
  for (const e of root.entries.values()) {
    if (e.key !== 'spec')
      errors.push(new ConfigError('header config contains unknown keys: ' + e.key, e.keyPos, ['header']));
  }
  const spec = root.entries.get('spec')?.value;
  if (!spec || (spec.kind === 'scalar' && spec.value === null)) return header;
  if (spec.kind !== 'map') {
    errors.push(new ConfigError(`should be a hash, got ${describe(spec)}`, spec.pos, ['spec']));
    return header;
  }
  for (const e of spec.entries.values()) {
    if (!SPEC_KEYS.includes(e.key)) {
      errors.push(new ConfigError(`spec config contains unknown keys: ${e.key}`, e.keyPos, ['spec']));
    } else if (e.key === 'include') {
      // GitLab 18.6+, behind the ci_file_inputs flag (off by default): refused rather than ignored.
      errors.push(
        new ConfigError('spec:include (inputs from other files) is not supported by kiln', e.keyPos, ['spec']),
      );
    }
  }
  const inputs = spec.entries.get('inputs')?.value;
  if (inputs && !(inputs.kind === 'scalar' && inputs.value === null)) {
    if (inputs.kind !== 'map')
      errors.push(new ConfigError(`should be a hash, got ${describe(inputs)}`, inputs.pos, ['spec', 'inputs']));
    else for (const e of inputs.entries.values()) header.inputs.push(readInput(e.key, e.value, errors));
  }
  const component = spec.entries.get('component')?.value;
  if (component) header.component = readComponentFields(component, errors);
  return header;
}

function readInput(name: string, node: YNode, errors: ConfigError[]): InputSpec {
  const path = ['spec', 'inputs', name];
  const spec: InputSpec = { name, type: 'string', hasDefault: false, node };
  if (node.kind === 'scalar' && node.value === null) return spec; // `name:` alone: a mandatory string
  if (node.kind !== 'map') {
    errors.push(new ConfigError(`should be a hash, got ${describe(node)}`, node.pos, path));
    return spec;
  }
  const m: YMap = node;
  for (const e of m.entries.values()) {
    if (!INPUT_KEYS.includes(e.key))
      errors.push(new ConfigError(`config contains unknown keys: ${e.key}`, e.keyPos, path));
  }
  const get = (k: string): YNode | undefined => m.entries.get(k)?.value;
  if (get('rules')) {
    // spec:inputs:rules (GitLab 18.7) chooses options/default from other inputs; kiln does not evaluate it.
    errors.push(new ConfigError('spec:inputs:rules is not supported by kiln', m.entries.get('rules')!.keyPos, path));
  }
  const type = get('type');
  if (type) {
    const t = type.kind === 'scalar' ? type.value : undefined;
    spec.typeName = String(t);
    spec.type = (INPUT_TYPES as readonly unknown[]).includes(t) ? (t as InputType) : undefined;
  }
  if (m.entries.has('default')) {
    spec.hasDefault = true;
    spec.default = toPlain(get('default')!);
  }
  const options = get('options');
  if (options) {
    if (options.kind !== 'seq')
      errors.push(new ConfigError(`should be an array, got ${describe(options)}`, options.pos, [...path, 'options']));
    else spec.options = options.items.map(toPlain);
  }
  const regex = get('regex');
  if (regex) {
    if (regex.kind !== 'scalar' || typeof regex.value !== 'string') {
      errors.push(new ConfigError(`should be a string, got ${describe(regex)}`, regex.pos, [...path, 'regex']));
    } else spec.regex = regex.value;
  }
  const description = get('description');
  if (description && (description.kind !== 'scalar' || typeof description.value !== 'string')) {
    errors.push(
      new ConfigError(`should be a string, got ${describe(description)}`, description.pos, [...path, 'description']),
    );
  }
  return spec;
}

function readComponentFields(node: YNode, errors: ConfigError[]): ComponentField[] {
  const out: ComponentField[] = [];
  if (node.kind !== 'seq') {
    errors.push(
      new ConfigError(`should be an array of strings, got ${describe(node)}`, node.pos, ['spec', 'component']),
    );
    return out;
  }
  for (const item of node.items) {
    const v = item.kind === 'scalar' ? item.value : undefined;
    if (!(COMPONENT_FIELDS as readonly unknown[]).includes(v)) {
      errors.push(new ConfigError(`should be one of: ${COMPONENT_FIELDS.join(', ')}`, item.pos, ['spec', 'component']));
    } else if (!out.includes(v as ComponentField)) out.push(v as ComponentField);
  }
  return out;
}
