// Small text helpers shared by the playbook's classifiers: ECS values arrive as strings, arrays or absent.
import { getField } from '../../detection/fields.js';
import type { EcsEvent } from '../../connectors/types.js';

// Field reads are memoised per document: a replay dataset hands the same event objects to every triage, and
// a storm reads the same sibling and alert fields dozens of times. Documents are never mutated after load.
const firstCache = new WeakMap<object, Map<string, string | null>>();
const listCache = new WeakMap<object, Map<string, string[]>>();

/** The first value of a field as a string, or null. */
export function str(doc: EcsEvent | null | undefined, path: string): string | null {
  if (!doc) return null;
  let fields = firstCache.get(doc);
  if (!fields) firstCache.set(doc, (fields = new Map()));
  const hit = fields.get(path);
  if (hit !== undefined) return hit;
  let value = getField(doc, path);
  if (Array.isArray(value)) value = value[0];
  const out = value === undefined || value === null || value === '' ? null : typeof value === 'string' ? value : String(value);
  fields.set(path, out);
  return out;
}

/** Every value of a field as strings (ECS keyword arrays), [] when absent. Do not mutate the result. */
export function strs(doc: EcsEvent | null | undefined, path: string): string[] {
  if (!doc) return [];
  let fields = listCache.get(doc);
  if (!fields) listCache.set(doc, (fields = new Map()));
  const hit = fields.get(path);
  if (hit !== undefined) return hit;
  const value = getField(doc, path);
  const out = value === undefined || value === null ? [] : (Array.isArray(value) ? value : [value]).filter((v) => v !== null && v !== undefined).map(String);
  fields.set(path, out);
  return out;
}

export function num(doc: EcsEvent | null | undefined, path: string): number | null {
  const value = str(doc, path);
  if (value === null) return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

/** The file name part of a Windows or POSIX path, lower case. */
export function baseName(path: string | null | undefined): string {
  if (!path) return '';
  const trimmed = path.replace(/^"+|"+$/g, '');
  const cut = Math.max(trimmed.lastIndexOf('\\'), trimmed.lastIndexOf('/'));
  return trimmed.slice(cut + 1).toLowerCase();
}

/** Strips surrounding quotes that 4688 and M365 keep in their args. */
export function unquote(value: string): string {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  // Fast path: most args carry no quotes or padding.
  if (first !== 34 && first !== 39 && first !== 32 && last !== 34 && last !== 39 && last !== 32) return value;
  return value.trim().replace(/^["']+|["']+$/g, '');
}

/**
 * Splits a Windows command line the way CommandLineToArgvW does (enough for classification:
 * quotes group, backslashes before a quote escape it). Used only when an event has no process.args.
 */
export function splitCommandLine(commandLine: string): string[] {
  const args: string[] = [];
  let current = '';
  let inQuotes = false;
  let hasToken = false;
  for (let i = 0; i < commandLine.length; i++) {
    const ch = commandLine[i]!;
    if (ch === '\\') {
      let slashes = 0;
      while (commandLine[i] === '\\') {
        slashes++;
        i++;
      }
      if (commandLine[i] === '"') {
        current += '\\'.repeat(Math.floor(slashes / 2));
        if (slashes % 2 === 1) current += '"';
        else inQuotes = !inQuotes;
      } else {
        current += '\\'.repeat(slashes);
        i--;
      }
      hasToken = true;
    } else if (ch === '"') {
      inQuotes = !inQuotes;
      hasToken = true;
    } else if ((ch === ' ' || ch === '\t') && !inQuotes) {
      if (hasToken) args.push(current);
      current = '';
      hasToken = false;
    } else {
      current += ch;
      hasToken = true;
    }
  }
  if (hasToken) args.push(current);
  return args;
}

/** Case-insensitive wildcard match with `*` and `?`, as EQL's `:` on a keyword. */
const patternCache = new Map<string, RegExp>();

export function wildcardMatch(pattern: string, value: string): boolean {
  let re = patternCache.get(pattern);
  if (!re) {
    re = compileWildcard(pattern);
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re.test(value);
}

function compileWildcard(pattern: string): RegExp {
  let source = '^';
  for (const ch of pattern) {
    if (ch === '*') source += '[\\s\\S]*';
    else if (ch === '?') source += '[\\s\\S]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${source}$`, 'i');
}
