// Terminal colour and title escapes, removed where output is not a terminal (logs read back, NO_COLOR).
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}
