// Large bodies are parsed alert by alert from their bytes (workers/intake/split.ts). Whatever the body, the
// result must be exactly what parsing it whole gives: the same alerts, or a refusal that sends the caller to
// the whole-body path (which then names the error).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractAlerts, SPLIT_MIN_BYTES } from '../../workers/intake/extract.js';
import { splitAlertsArray } from '../../workers/intake/split.js';
import { nestedAlert } from './helpers.js';

/** What JSON.parse of the whole body, decoded as the server decodes it, gives for the splitter's shapes, or null. */
function wholeParse(body: Buffer): unknown[] | null {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return null;
  }
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object' && Array.isArray((value as { alerts?: unknown }).alerts)) return (value as { alerts: unknown[] }).alerts;
  return null;
}

// Strings with quotes, backslashes, control characters and non-ASCII text: the cases a byte scanner gets wrong.
const tricky = fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('"', '\\', '\\"', '"]', '},{', '[', '\u2028', '\u0000', 'é', '😀'));
const value = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 2 }), tricky, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(tricky, tie('value'), { maxKeys: 3 })),
})).value;

const layouts: ((alerts: unknown[], extra: unknown) => string)[] = [
  (alerts) => JSON.stringify(alerts),
  (alerts) => JSON.stringify({ alerts }),
  (alerts, extra) => JSON.stringify({ before: extra, alerts, after: extra }),
  (alerts, extra) => JSON.stringify({ alerts, context: { alerts: extra } }, null, 2),
  (alerts) => `\uFEFF \n${JSON.stringify({ alerts }, null, '\t')}\r\n `,
];

describe('splitAlertsArray', () => {
  it('gives the alerts of a bare array or {"alerts": [...]} exactly as parsing the whole body does', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 6 }), value, fc.integer({ min: 0, max: layouts.length - 1 }), (alerts, extra, layout) => {
        const body = Buffer.from(layouts[layout]!(alerts, extra));
        expect(splitAlertsArray(body)).toEqual(wholeParse(body));
      }),
      { numRuns: 400 },
    );
  });

  it('never accepts a body that JSON.parse refuses, nor disagrees with it (random damage to valid bodies)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: layouts.length - 1 }),
        fc.nat(),
        fc.constantFrom('', '"', '\\', ',', ']', '[', '}', '{', ':', ' ', 'x', '1'),
        (alerts, layout, at, insert) => {
          const valid = layouts[layout]!(alerts, null);
          const cut = at % valid.length;
          for (const text of [valid.slice(0, cut) + insert + valid.slice(cut + 1), valid.slice(0, cut) + insert + valid.slice(cut)]) {
            // Cutting a JS string can split a surrogate pair: compare on the bytes, as they would arrive.
            const body = Buffer.from(text);
            const split = splitAlertsArray(body);
            if (split !== null) {
              accepted += 1;
              expect(split).toEqual(wholeParse(body));
            }
          }
        },
      ),
      { numRuns: 600 },
    );
    // Damage that leaves valid JSON (a space, a digit in a number) is taken: the property above is not vacuous.
    expect(accepted).toBeGreaterThan(0);
  });

  it('leaves other shapes to the whole-body parser', () => {
    for (const text of ['{"alerts": {"new": {"data": []}}}', '{"alerts": [], "alerts": [1]}', '{"context": {"alerts": [1]}}', '"alerts"', '{}', '', '  ', '{"alerts": [1,]}', '[1 2]', '[1,,2]']) {
      expect(splitAlertsArray(Buffer.from(text)), text).toBeNull();
    }
  });
});

describe('extractAlerts on large bodies', () => {
  // A realistic batch over the split threshold: real alert documents, one with unicode in a field.
  const alerts = Array.from({ length: 100 }, (_, i) => nestedAlert({ uuid: `split-${i}` }));
  (alerts[3]!.process as Record<string, unknown>).command_line = 'reg save HKLM\\SAM "C:\\t\\é 😀 \u2028].hiv"';
  const bodies: Record<string, string> = {
    'object with alerts': JSON.stringify({ alerts, note: 'x'.repeat(10) }),
    'bare array': JSON.stringify(alerts),
    'pretty-printed with a BOM': `\uFEFF${JSON.stringify({ alerts }, null, 2)}`,
  };

  it.each(Object.keys(bodies))('reads %s exactly as the string path does', (name) => {
    const body = Buffer.from(bodies[name]!);
    expect(body.length).toBeGreaterThanOrEqual(SPLIT_MIN_BYTES);
    const items = extractAlerts(body, 'application/json');
    expect(items).toHaveLength(100);
    expect(items).toEqual(extractAlerts(body.toString('utf8'), 'application/json'));
  });

  it('reads large NDJSON line by line, a bad line rejected, CRLF and blank lines as the string path', () => {
    const lines = alerts.map((alert) => JSON.stringify(alert));
    lines.splice(7, 0, '{"broken": ', '');
    const body = Buffer.from(`\uFEFF${lines.join('\r\n')}\n`);
    expect(body.length).toBeGreaterThanOrEqual(SPLIT_MIN_BYTES);
    const items = extractAlerts(body, 'application/x-ndjson');
    expect(items).toEqual(extractAlerts(body.toString('utf8'), 'application/x-ndjson'));
    expect(items.filter((item) => 'error' in item)).toEqual([{ index: 7, error: 'line 8: not valid JSON' }]);
    expect(items).toHaveLength(101);
  });

  it('falls back to the whole body for a large body of another shape, with the same error', () => {
    const broken = Buffer.from(`${bodies['object with alerts']!.slice(0, -1)},`);
    expect(() => extractAlerts(broken, 'application/json')).toThrow(/not valid JSON/);
    // Kibana's `{{{context.alerts}}}` without brackets: comma-joined objects, not one JSON value.
    const joined = Buffer.from(alerts.map((alert) => JSON.stringify(alert)).join(','));
    expect(extractAlerts(joined, 'application/json')).toEqual(extractAlerts(joined.toString('utf8'), 'application/json'));
    expect(extractAlerts(joined, 'application/json')).toHaveLength(100);
  });
});
