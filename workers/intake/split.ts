// Large webhook bodies are parsed alert by alert, straight from the received bytes. V8 places a string of
// 128 KB or more in its large-object space, on freshly mapped pages every time: decoding a 160 KB batch into
// one string cost 0.9 ms of page faults on our 2-core VMs, more than JSON.parse of it. The scanner below only
// finds where the top-level alerts array's elements begin and end; JSON.parse still judges every byte, and
// anything the scanner does not expect makes it give up, so the caller parses the whole body as before.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const isSpace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/** 3 when the body starts with a UTF-8 byte order mark, else 0. */
export const bomLength = (body: Buffer): number => (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0);

function skipSpace(body: Buffer, at: number): number {
  while (at < body.length && isSpace(body[at]!)) at++;
  return at;
}

/** The index just past the string that opens at `at` (a quote), or -1 when it does not close. */
function stringEnd(body: Buffer, at: number): number {
  for (let i = at + 1; i < body.length; i++) {
    const byte = body[i]!;
    if (byte === BACKSLASH) i++;
    else if (byte === QUOTE) return i + 1;
  }
  return -1;
}

/**
 * The index just past the JSON value that starts at `at` (no leading space), or -1. Objects and arrays are
 * matched by depth with strings skipped; a scalar runs to the next delimiter. Validity is JSON.parse's job.
 */
function valueEnd(body: Buffer, at: number): number {
  const first = body[at];
  if (first === QUOTE) return stringEnd(body, at);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    let i = at;
    while (i < body.length) {
      const byte = body[i]!;
      if (byte === COMMA || byte === CLOSE_BRACE || byte === CLOSE_BRACKET || isSpace(byte)) break;
      i++;
    }
    return i > at ? i : -1;
  }
  let depth = 0;
  for (let i = at; i < body.length; i++) {
    const byte = body[i]!;
    if (byte === QUOTE) {
      const end = stringEnd(body, i);
      if (end < 0) return -1;
      i = end - 1;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth++;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** [start, end) of each element of the array opening at `open`, and the index past its `]`; null if malformed. */
function arrayElements(body: Buffer, open: number): { ranges: number[]; end: number } | null {
  const ranges: number[] = [];
  let at = skipSpace(body, open + 1);
  if (body[at] === CLOSE_BRACKET) return { ranges, end: at + 1 };
  for (;;) {
    const end = valueEnd(body, at);
    if (end < 0) return null;
    ranges.push(at, end);
    at = skipSpace(body, end);
    if (body[at] === CLOSE_BRACKET) return { ranges, end: at + 1 };
    if (body[at] !== COMMA) return null;
    at = skipSpace(body, at + 1);
  }
}

interface AlertsArray {
  /** Index of the array's `[`. */
  open: number;
  /** [start, end) of each element, flattened. */
  ranges: number[];
  /** Index just past the array's `]`. */
  end: number;
}

/** The alerts array: a bare array, or the array value of the one top-level `alerts` key; null otherwise. */
function findAlertsArray(body: Buffer, start: number): AlertsArray | null {
  if (body[start] === OPEN_BRACKET) {
    const array = arrayElements(body, start);
    return array && { open: start, ...array };
  }
  if (body[start] !== OPEN_BRACE) return null;
  let found: AlertsArray | null = null;
  let at = skipSpace(body, start + 1);
  while (body[at] === QUOTE) {
    const keyEnd = stringEnd(body, at);
    if (keyEnd < 0) return null;
    let key: unknown;
    try {
      key = JSON.parse(body.toString('utf8', at, keyEnd));
    } catch {
      return null;
    }
    at = skipSpace(body, keyEnd);
    if (body[at] !== COLON) return null;
    at = skipSpace(body, at + 1);
    let end: number;
    if (key === 'alerts') {
      // A repeated key (JSON.parse keeps the last) or a non-array value: not the common shape.
      if (found || body[at] !== OPEN_BRACKET) return null;
      const array = arrayElements(body, at);
      if (!array) return null;
      found = { open: at, ...array };
      end = array.end;
    } else {
      end = valueEnd(body, at);
      if (end < 0) return null;
    }
    at = skipSpace(body, end);
    if (body[at] !== COMMA) break;
    at = skipSpace(body, at + 1);
  }
  return found;
}

/**
 * The alerts of a JSON body that is a bare array or `{"alerts": [...], ...}`, each parsed from its own bytes;
 * null when the body has another shape or is not valid JSON (the caller then parses it whole, which also
 * produces the right error). Equal to JSON.parse of the whole body: the rest of the body, the array emptied,
 * is parsed too.
 */
export function splitAlertsArray(body: Buffer): unknown[] | null {
  const start = skipSpace(body, bomLength(body));
  const array = findAlertsArray(body, start);
  if (!array) return null;
  try {
    JSON.parse(body.toString('utf8', start, array.open) + '[]' + body.toString('utf8', array.end));
    const alerts: unknown[] = new Array(array.ranges.length / 2);
    for (let i = 0; i < array.ranges.length; i += 2) alerts[i / 2] = JSON.parse(body.toString('utf8', array.ranges[i], array.ranges[i + 1]));
    return alerts;
  } catch {
    return null;
  }
}
