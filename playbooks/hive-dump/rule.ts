// The rule as our engine runs it: the TOML next to this file, parsed by the rule loader and compiled by the
// EQL compiler. Version 318 is the default; 317 (the seed's query) stays selectable.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFilter } from '../../detection/eql/compile.js';
import { parseQuery } from '../../detection/eql/parser.js';
import { printQuery } from '../../detection/eql/printer.js';
import { loadRule, type DetectionRule } from '../../detection/rules/load.js';
import type { EcsEvent } from '../../connectors/types.js';
import type { RuleMatcher } from './verify.js';

export const RULE_VERSIONS = ['317', '318'] as const;
export type RuleVersion = (typeof RULE_VERSIONS)[number];
export const DEFAULT_RULE_VERSION: RuleVersion = '318';

const here = dirname(fileURLToPath(import.meta.url));

export class RuleVersionError extends Error {
  readonly code = 'HW_ERR_RULE_VERSION';
  constructor(version: string) {
    super(`rule version "${version}" is not bundled; use one of ${RULE_VERSIONS.join(', ')} (setting triage.ruleVersion / --rule-version)`);
  }
}

export function ruleFile(version: RuleVersion): string {
  return join(here, `rule-v${version}.toml`);
}

/** Parsed and printed: two queries that differ only in layout or quoting compare equal. */
const canonicalCache = new Map<string, string | null>();

export function canonicalQuery(query: string): string | null {
  const hit = canonicalCache.get(query);
  if (hit !== undefined) return hit;
  let out: string | null;
  try {
    out = printQuery(parseQuery(query));
  } catch {
    out = null;
  }
  // Alerts carry a handful of distinct rule queries; bound the memo anyway against hostile input.
  if (canonicalCache.size > 256) canonicalCache.clear();
  canonicalCache.set(query, out);
  return out;
}

const cache = new Map<RuleVersion, RuleMatcher>();

/** Loads and compiles the bundled rule once per version. */
export function loadHiveDumpRule(version: string = DEFAULT_RULE_VERSION): RuleMatcher {
  if (!(RULE_VERSIONS as readonly string[]).includes(version)) throw new RuleVersionError(version);
  const v = version as RuleVersion;
  const cached = cache.get(v);
  if (cached) return cached;
  const rule: DetectionRule = loadRule(ruleFile(v));
  if (rule.ast.type !== 'event_query') throw new Error(`HW_ERR_RULE_QUERY: ${ruleFile(v)} is not a single-event query`);
  const predicate = compileFilter(rule.ast.filter);
  const known = RULE_VERSIONS.filter((other) => other !== v).map((other) => ({ version: other, canonical: canonicalQuery(loadRule(ruleFile(other)).query) ?? '' }));
  const matcher: RuleMatcher = {
    ruleId: rule.ruleId,
    version: String(rule.version ?? v),
    query: rule.query,
    matches: (event: EcsEvent) => predicate(event),
    canonical: canonicalQuery,
    known: [{ version: String(rule.version ?? v), canonical: canonicalQuery(rule.query) ?? '' }, ...known],
  };
  cache.set(v, matcher);
  return matcher;
}
