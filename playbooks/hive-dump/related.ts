// Step 5 of the guide: other alerts for the same user and host over 48 hours.
import type { EcsEvent } from '../../connectors/types.js';
import { getField } from '../../detection/fields.js';
import { str, strs } from './text.js';

export type RelatedCategory = 'credential_access' | 'archiving' | 'privilege_escalation' | 'persistence' | 'lateral_movement' | 'other';

const TACTICS: Record<string, RelatedCategory> = {
  ta0006: 'credential_access',
  'credential access': 'credential_access',
  ta0004: 'privilege_escalation',
  'privilege escalation': 'privilege_escalation',
  ta0003: 'persistence',
  persistence: 'persistence',
  ta0008: 'lateral_movement',
  'lateral movement': 'lateral_movement',
};

const NAME_HINTS: [RegExp, RelatedCategory][] = [
  [/(credential|lsass|mimikatz|ntds|sam\b|hive|secretsdump|kerberoast|dcsync|password)/i, 'credential_access'],
  [/(archive|compress|7-?zip|\b7z\b|\b(win)?rar\b|makecab|staging|exfil)/i, 'archiving'],
  [/(privilege|uac bypass|token|elevat)/i, 'privilege_escalation'],
  [/(persistence|run key|scheduled task|service creat|startup|wmi event)/i, 'persistence'],
  [/(lateral|psexec|remote service|smb|rdp|winrm|wmi remote|pass the hash)/i, 'lateral_movement'],
];

/** Categories of one alert document: from its MITRE threat mapping, else from its rule name. */
const categoryCache = new WeakMap<object, RelatedCategory[]>();

export function categoriesOf(alert: EcsEvent): RelatedCategory[] {
  const hit = categoryCache.get(alert);
  if (hit) return hit;
  const result = computeCategories(alert);
  categoryCache.set(alert, result);
  return result;
}

function computeCategories(alert: EcsEvent): RelatedCategory[] {
  const out = new Set<RelatedCategory>();
  const threat = getField(alert, 'kibana.alert.rule.threat') ?? getField(alert, 'signal.rule.threat');
  const threats = Array.isArray(threat) ? threat : threat ? [threat] : [];
  for (const entry of threats) {
    for (const key of [str(entry as EcsEvent, 'tactic.id'), str(entry as EcsEvent, 'tactic.name')]) {
      const cat = key ? TACTICS[key.toLowerCase()] : undefined;
      if (cat) out.add(cat);
    }
    const techniques = getField(entry, 'technique');
    for (const technique of Array.isArray(techniques) ? techniques : techniques ? [techniques] : []) {
      if (str(technique as EcsEvent, 'id') === 'T1560') out.add('archiving');
    }
  }
  for (const tactic of strs(alert, 'threat.tactic.name')) {
    const cat = TACTICS[tactic.toLowerCase()];
    if (cat) out.add(cat);
  }
  if (out.size === 0) {
    const name = str(alert, 'kibana.alert.rule.name') ?? str(alert, 'signal.rule.name') ?? str(alert, 'rule.name') ?? '';
    for (const [re, cat] of NAME_HINTS) if (re.test(name)) out.add(cat);
  }
  if (out.size === 0) out.add('other');
  return [...out];
}

export function ruleIdOf(alert: EcsEvent): string | null {
  return str(alert, 'kibana.alert.rule.rule_id') ?? str(alert, 'signal.rule.rule_id') ?? str(alert, 'kibana.alert.rule.parameters.rule_id');
}

export function alertIdOf(alert: EcsEvent): string | null {
  return str(alert, 'kibana.alert.uuid') ?? str(alert, '_id') ?? str(alert, 'event.id');
}
