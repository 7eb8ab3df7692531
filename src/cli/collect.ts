// commander argument parser for repeatable options: `--x a --x b` → ['a', 'b'].
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
