// The Node flags a script's shebang passes (`#!/usr/bin/env -S node --flag ...`), so the bench starts the server
// as `npx hivewatch serve` would.
export function nodeFlagsOf(source: string): string {
  const shebang = source.split('\n', 1)[0]!;
  const match = /^#!\/usr\/bin\/env(?: -S)? node\b(.*)$/.exec(shebang);
  if (!match) throw new Error(`not a node shebang: ${shebang}`);
  return match[1]!.trim();
}
