// The history-based "unexpected user" check on its own: who counts as history, what is ignored, and that no
// history is an open question rather than a factor.
import { describe, expect, it } from 'vitest';
import type { EcsEvent, QueryResult } from '../../connectors/types.js';
import { parseAlert } from '../../detection/alert.js';
import { Investigation } from '../../playbooks/hive-dump/investigation.js';
import { assessUserHistory } from '../../playbooks/hive-dump/step-user.js';

const HOST = 'host-u1';
const AT = '2026-11-24T10:00:00.000Z';
const ME = 'S-1-5-21-1-2-3-2001';
const OTHER = 'S-1-5-21-1-2-3-1001';
const source: EcsEvent = { '@timestamp': AT, event: { id: 'src' }, host: { id: HOST }, user: { id: ME, name: 'newbie' }, process: { entity_id: 'reg-1', parent: { entity_id: 'kit-1' } } };
const alert = parseAlert({ '@timestamp': AT, host: { id: HOST, name: 'wks-u1' }, user: { id: ME }, process: { entity_id: 'reg-1', pid: 10 }, kibana: { alert: { uuid: 'a-1', original_time: AT, rule: { rule_id: 'rule-x' } } } });
const result = (events: EcsEvent[], query = 'q'): QueryResult => ({ events, coverage: 'full', query, window: { from: '2026-11-20T00:00:00.000Z', to: AT } });
const signal = (ts: string, user: string, extra: Record<string, unknown> = {}): EcsEvent => ({ '@timestamp': ts, event: { kind: 'signal', id: `s-${ts}-${user}` }, host: { id: HOST }, user: { id: user }, kibana: { alert: { uuid: `u-${ts}-${user}`, original_time: ts, rule: { rule_id: 'rule-x' } } }, ...extra });
const proc = (ts: string, user: string, entity: string, parent?: string): EcsEvent => ({ '@timestamp': ts, event: { id: `p-${entity}` }, host: { id: HOST }, user: { id: user }, process: { entity_id: entity, ...(parent ? { parent: { entity_id: parent } } : {}) } });

function run(alerts: EcsEvent[], processes: EcsEvent[] = [], userId: string = ME) {
  const inv = new Investigation('replay');
  const out = assessUserHistory(inv, { alert, source, userId, userIdReliable: true, alerts: [{ name: 'alerts_for_rule', result: result(alerts, 'rule-q') }], processes: [{ name: 'ancestry', result: result(processes, 'anc-q') }], explained: false, sourceEvidence: [] });
  return { inv, out };
}

describe('unexpected user from host history', () => {
  it('raises user.unseen_on_host, citing where the other users were seen', () => {
    const { inv, out } = run([signal('2026-11-21T10:00:00.000Z', OTHER), signal('2026-11-22T10:00:00.000Z', 'S-1-5-18')]);
    expect(out).toEqual({ others: [OTHER], seenBefore: false, documents: 1 });
    const factor = inv.signals.find((s) => s.id === 'user.unseen_on_host');
    expect(factor?.strong).toBe(true);
    expect(factor?.evidence.map((e) => e.query)).toEqual(['rule-q']);
    expect(factor?.evidence[0]!.eventIds).toEqual([`u-2026-11-21T10:00:00.000Z-${OTHER}`]);
    expect(inv.unresolved).toEqual([]);
  });

  it('a user seen in an earlier alert is expected; later alerts and other hosts do not count', () => {
    expect(run([signal('2026-11-21T10:00:00.000Z', OTHER), signal('2026-11-20T10:00:00.000Z', ME)]).inv.signals).toEqual([]);
    const later = run([signal('2026-11-24T11:00:00.000Z', ME), signal('2026-11-21T10:00:00.000Z', OTHER), { ...signal('2026-11-21T09:00:00.000Z', ME), host: { id: 'elsewhere' } }]);
    expect(later.out?.seenBefore).toBe(false);
    expect(later.inv.signals.map((s) => s.id)).toEqual(['user.unseen_on_host']);
  });

  it("this activity's own process tree names other users but is not this user's history", () => {
    // The parent (run by this user minutes before) is the same activity; a process of another user is history.
    const { inv, out } = run([], [proc('2026-11-24T09:58:00.000Z', ME, 'kit-1'), proc('2026-11-24T08:00:00.000Z', OTHER, 'explorer-9')]);
    expect(out).toMatchObject({ others: [OTHER], seenBefore: false });
    expect(inv.signals.map((s) => s.id)).toEqual(['user.unseen_on_host']);
    // An alert on the same process tree does not count as earlier presence either.
    const tree = run([signal('2026-11-24T09:59:00.000Z', ME, { process: { entity_id: 'kit-1' } }), signal('2026-11-21T10:00:00.000Z', OTHER)]);
    expect(tree.out?.seenBefore).toBe(false);
  });

  it('no history at all is an open question, never a factor; built-in accounts and unreliable ids are skipped', () => {
    const { inv, out } = run([signal('2026-11-21T10:00:00.000Z', 'S-1-5-18')]);
    expect(out).toEqual({ others: [], seenBefore: false, documents: 0 });
    expect(inv.signals).toEqual([]);
    expect(inv.unresolved.join('\n')).toMatch(/no history of users on host wks-u1.*cannot tell whether user S-1-5-21-1-2-3-2001 is expected/);
    expect(run([signal('2026-11-21T10:00:00.000Z', OTHER)], [], 'S-1-5-18').out).toBeNull();
    const inv2 = new Investigation('replay');
    expect(assessUserHistory(inv2, { alert, source, userId: ME, userIdReliable: false, alerts: [], processes: [], explained: false, sourceEvidence: [] })).toBeNull();
    expect(inv2.unresolved).toEqual([]);
  });
});
