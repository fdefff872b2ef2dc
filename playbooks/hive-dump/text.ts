// Small text helpers shared by the playbook's classifiers: ECS values arrive as strings, arrays or absent.
import { getField } from '../../detection/fields.js';
import type { EcsEvent } from '../../connectors/types.js';

/** The first value of a field as a string, or null. */
export function str(doc: EcsEvent | null | undefined, path: string): string | null {
  if (!doc) return null;
  let value = getField(doc, path);
  if (Array.isArray(value)) value = value[0];
  if (value === undefined || value === null || value === '') return null;
  return typeof value === 'string' ? value : String(value);
}

/** Every value of a field as strings (ECS keyword arrays), [] when absent. */
export function strs(doc: EcsEvent | null | undefined, path: string): string[] {
  if (!doc) return [];
  const value = getField(doc, path);
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v) => v !== null && v !== undefined).map(String);
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
export function wildcardMatch(pattern: string, value: string): boolean {
  let source = '^';
  for (const ch of pattern) {
    if (ch === '*') source += '[\\s\\S]*';
    else if (ch === '?') source += '[\\s\\S]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${source}$`, 'i').test(value);
}
