// One linear pass over a JSON text for what JSON.parse does not tell: where a syntax error is (V8 gives no
// position for "Unexpected end of JSON input" nor for "Unexpected token ..."), and where each key of the top-level
// object is (to give a value's error its line). An explicit stack, not recursion, so deep nesting cannot overflow.

export interface JsonScan {
  /** Offset of the first character that makes the text invalid JSON (text.length when it ends too early). */
  errorAt?: number;
  /** Offset of each top-level object key's opening quote, by the decoded key (the first one when repeated). */
  keys: Map<string, number>;
}

const LITERALS = ['true', 'false', 'null'];

export function scanJson(text: string): JsonScan {
  const n = text.length;
  const keys = new Map<string, number>();
  const stack: number[] = []; // char codes of the open containers: 123 '{' or 91 '['
  let i = 0;
  let state: 'value' | 'key' | 'after' = 'value';

  const skipSpace = (): void => {
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return;
    }
  };
  /** Scans the string starting at the quote at i; returns the offset after it, or -(error offset) - 1. */
  const scanString = (): number => {
    for (let k = i + 1; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c === 34) return k + 1;
      if (c < 32) return -k - 1;
      if (c === 92) {
        const e = text[k + 1];
        if (e === 'u') {
          for (let h = k + 2; h < k + 6; h++) if (!isHex(text.charCodeAt(h))) return -Math.min(n, h) - 1;
          k += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) k++;
        else return -Math.min(n, k + 1) - 1;
      }
    }
    return -n - 1;
  };

  for (;;) {
    skipSpace();
    if (state === 'after' && stack.length === 0) return i < n ? { errorAt: i, keys } : { keys };
    if (i >= n) return { errorAt: n, keys };
    const c = text.charCodeAt(i);
    if (state === 'key') {
      if (c !== 34) return { errorAt: i, keys };
      const end = scanString();
      if (end < 0) return { errorAt: -end - 1, keys };
      if (stack.length === 1) {
        const raw = text.slice(i + 1, end - 1);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end)) as string) : raw;
        if (!keys.has(key)) keys.set(key, i);
      }
      i = end;
      skipSpace();
      if (i >= n || text.charCodeAt(i) !== 58) return { errorAt: Math.min(i, n), keys };
      i++;
      state = 'value';
      continue;
    }
    if (state === 'after') {
      const top = stack[stack.length - 1];
      if (c === 44) {
        i++;
        state = top === 123 ? 'key' : 'value';
      } else if ((top === 123 && c === 125) || (top === 91 && c === 93)) {
        stack.pop();
        i++;
      } else return { errorAt: i, keys };
      continue;
    }
    // state === 'value'
    if (c === 123 || c === 91) {
      stack.push(c);
      i++;
      skipSpace();
      const close = c === 123 ? 125 : 93;
      if (i < n && text.charCodeAt(i) === close) {
        stack.pop();
        i++;
        state = 'after';
      } else state = c === 123 ? 'key' : 'value';
      continue;
    }
    if (c === 34) {
      const end = scanString();
      if (end < 0) return { errorAt: -end - 1, keys };
      i = end;
      state = 'after';
      continue;
    }
    if (c === 45 || isDigit(c)) {
      // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, the error placed where V8 places it (after "-", ".", "e").
      let k = c === 45 ? i + 1 : i;
      if (!isDigit(text.charCodeAt(k))) return { errorAt: Math.min(n, k), keys };
      if (text.charCodeAt(k) === 48) k++;
      else while (isDigit(text.charCodeAt(k))) k++;
      if (text.charCodeAt(k) === 46) {
        k++;
        if (!isDigit(text.charCodeAt(k))) return { errorAt: Math.min(n, k), keys };
        while (isDigit(text.charCodeAt(k))) k++;
      }
      if ((text.charCodeAt(k) | 32) === 101) {
        k++;
        if (text.charCodeAt(k) === 43 || text.charCodeAt(k) === 45) k++;
        if (!isDigit(text.charCodeAt(k))) return { errorAt: Math.min(n, k), keys };
        while (isDigit(text.charCodeAt(k))) k++;
      }
      i = k;
      state = 'after';
      continue;
    }
    const word = LITERALS.find((w) => w.charCodeAt(0) === c);
    if (!word) return { errorAt: i, keys };
    let k = 0;
    while (k < word.length && text.charCodeAt(i + k) === word.charCodeAt(k)) k++;
    if (k < word.length) return { errorAt: Math.min(n, i + k), keys };
    i += k;
    state = 'after';
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return isDigit(c) || ((c | 32) >= 97 && (c | 32) <= 102);
}

/** Turns offsets in `text` into 1-based line and column (newlines indexed once, then a binary search each). */
export function lineLocator(text: string): (offset: number) => { line: number; col: number } {
  const starts = [0];
  for (let k = text.indexOf('\n'); k >= 0; k = text.indexOf('\n', k + 1)) starts.push(k + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo] + 1 };
  };
}
