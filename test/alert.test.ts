import { describe, expect, it } from 'vitest';
import { AlertValidationError, expandDotted, parseAlert } from '../detection/alert.js';
import { getField } from '../detection/fields.js';

const nested = {
  '@timestamp': '2026-11-20T10:00:05.000Z',
  host: { id: 'h-1', name: 'wks-042' },
  user: { id: 'S-1-5-21-1', name: 'jdoe' },
  process: { entity_id: 'p-1', pid: 4242, name: 'reg.exe', args: ['reg.exe', 'save', 'hklm\\sam', 'C:\\t\\s'], parent: { entity_id: 'pp-1', pid: 100 } },
  kibana: { alert: { uuid: 'alert-1', original_time: '2026-11-20T10:00:00.000Z', rule: { rule_id: 'a7e7bfa3-088e-4f13-b29e-3986e0e756b8', version: 318, parameters: { query: 'process where true' } } } },
};

describe('parseAlert', () => {
  it('reads a nested Kibana alert', () => {
    const alert = parseAlert(nested);
    expect(alert.id).toBe('alert-1');
    expect(alert.idSource).toBe('uuid');
    expect(alert.ruleVersion).toBe(318);
    expect(alert.process.parent.pid).toBe(100);
    expect(alert.originalTime).toBe('2026-11-20T10:00:00.000Z');
  });

  it('reads the same alert with flat dotted keys and legacy signal fields', () => {
    const flat = {
      'host.id': 'h-1',
      'process.entity_id': 'p-1',
      'signal.original_time': '2026-11-20T10:00:00.000Z',
      'signal.rule.rule_id': 'a7e7bfa3-088e-4f13-b29e-3986e0e756b8',
    };
    const alert = parseAlert(flat);
    expect(alert.hostId).toBe('h-1');
    expect(alert.ruleId).toBe('a7e7bfa3-088e-4f13-b29e-3986e0e756b8');
    expect(alert.idSource).toBe('hash');
    expect(alert.id).toMatch(/^[0-9a-f]{64}$/);
    expect(parseAlert(flat).id).toBe(alert.id);
  });

  it('names the missing field', () => {
    expect(() => parseAlert({ process: { pid: 1 }, '@timestamp': '2026-11-20T10:00:00Z' })).toThrowError(/host/);
    try {
      parseAlert({ host: { id: 'h' }, process: { name: 'reg.exe' }, '@timestamp': '2026-11-20T10:00:00Z' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AlertValidationError);
      expect((err as AlertValidationError).issues[0]?.field).toBe('process.entity_id');
    }
  });
});

describe('parseAlert validates only what it uses', () => {
  it('accepts an alert whose unused fields are odd (an empty rule name, a numeric parent name)', () => {
    const odd = {
      ...nested,
      process: { ...nested.process, parent: { ...nested.process.parent, name: 42 } },
      kibana: { alert: { ...nested.kibana.alert, rule: { ...nested.kibana.alert.rule, name: '', uuid: '', id: '' } } },
    };
    const alert = parseAlert(odd);
    expect(alert.ruleId).toBe('a7e7bfa3-088e-4f13-b29e-3986e0e756b8');
    expect(alert.process.parent.pid).toBe(100);
    expect(getField(alert.document, 'kibana.alert.rule.name')).toBe('');
  });
});

describe('parseAlert timestamps', () => {
  const withTime = (time: unknown) => ({ ...nested, kibana: { alert: { ...nested.kibana.alert, original_time: time } } });

  it('accepts ISO 8601 date-times with a zone, with an offset, or with none', () => {
    for (const time of ['2026-11-20T10:00:00Z', '2026-11-20T10:00:00.123456+02:00', '2026-11-20T10:00:00']) {
      expect(parseAlert(withTime(time)).originalTime).toBe(time);
    }
  });

  it('rejects anything else, naming the field and the expected form', () => {
    for (const time of ['20 Nov 2026 10:00', '2026-11-20', '', 1763632800000]) {
      try {
        parseAlert(withTime(time));
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(AlertValidationError);
        const issue = (err as AlertValidationError).issues[0]!;
        expect(issue.field).toBe('kibana.alert.original_time');
        expect(issue.message).toMatch(typeof time === 'string' ? /^expected an ISO 8601 date-time such as 2026-11-20T10:00:00Z$/ : /expected string/);
      }
    }
  });
});

describe('getField', () => {
  it('reads nested, flattened and mixed documents', () => {
    expect(getField({ process: { parent: { name: 'cmd.exe' } } }, 'process.parent.name')).toBe('cmd.exe');
    expect(getField({ 'process.parent.name': 'cmd.exe' }, 'process.parent.name')).toBe('cmd.exe');
    expect(getField({ process: { 'parent.name': 'cmd.exe' } }, 'process.parent.name')).toBe('cmd.exe');
    expect(getField({ process: {} }, 'process.parent.name')).toBeUndefined();
    expect(expandDotted({ 'a.b': 1, a: { c: 2 } })).toEqual({ a: { b: 1, c: 2 } });
  });

  it('expandDotted copies only when some key, at any depth, has a dot', () => {
    expect(expandDotted(nested)).toBe(nested);
    const deep = { a: [{ b: { 'c.d': 1 } }], e: 2 };
    expect(expandDotted(deep)).toEqual({ a: [{ b: { c: { d: 1 } } }], e: 2 });
    expect(deep.a[0]!.b).toEqual({ 'c.d': 1 }); // the input is never changed
  });
});

describe('parseAlert output', () => {
  it('keeps every field of the alert in document, while validating only the fields it uses', () => {
    const extra = { ...nested, process: { ...nested.process, pe: { original_file_name: 'reg.exe' } }, kibana: { ...nested.kibana, space_ids: ['default'] }, custom: { x: 1 } };
    const alert = parseAlert(extra);
    expect(alert.document).toEqual(extra);
    expect(getField(alert.document, 'process.pe.original_file_name')).toBe('reg.exe');
    expect(getField(alert.document, 'kibana.space_ids')).toEqual(['default']);
  });
});
