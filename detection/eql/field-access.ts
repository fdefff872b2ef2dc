// Compiled field readers. A dotted ECS path is read with direct property loads on the nested shape first
// (the common case, and the fast one), falling back to a full search that also finds flattened keys
// (`{"process.name": ...}`), mixed shapes (`{process: {"parent.name": ...}}`) and arrays of objects
// (`{process: [{name: a}, {name: b}]}` gives both names, as ES flattens them).
//
// The value is normalised the way ES sees a field: a missing field, an empty array or an all-null array is
// null; nested arrays are flattened and nulls dropped; a single value is returned as a scalar; several as an
// array (a multi-valued field). Objects are not field values (ES rejects queries on object fields): null.

export type FieldReader = (doc: unknown) => unknown;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A dotted path with every run of its parts pre-joined, so searching flattened keys allocates nothing. */
interface Path {
  parts: readonly string[];
  /** keys[i][j - i] = parts[i..j] joined with dots. */
  keys: readonly (readonly string[])[];
}

function makePath(path: string): Path {
  const parts = path.split('.');
  const keys = parts.map((_, i) => parts.slice(i).map((__, k) => parts.slice(i, i + k + 1).join('.')));
  return { parts, keys };
}

function own(node: Obj, key: string): unknown {
  const v = node[key];
  // JSON values are never functions: a function here is an Object.prototype member, not a field.
  if (v === undefined || typeof v === 'function' || (key === '__proto__' && !Object.hasOwn(node, key))) return undefined;
  return v;
}

/** Collects every value at `parts[i..]` below `node`, trying each split of the remaining path into keys. */
function collect(node: unknown, path: Path, i: number, out: unknown[], keepNull = false): void {
  if (i === path.parts.length) {
    if (Array.isArray(node)) {
      for (const x of node) {
        if (Array.isArray(x)) collect(x, path, i, out, keepNull);
        else if ((x !== null || keepNull) && x !== undefined && !isObj(x)) out.push(x);
      }
    } else if ((node !== null || keepNull) && node !== undefined && !isObj(node)) out.push(node);
    return;
  }
  if (Array.isArray(node)) {
    for (const x of node) collect(x, path, i, out, keepNull);
    return;
  }
  if (!isObj(node)) return;
  const keys = path.keys[i]!;
  for (let k = 0; k < keys.length; k++) {
    const v = own(node, keys[k]!);
    if (v !== undefined) collect(v, path, i + k + 1, out, keepNull);
  }
}

/** Every value of a field, in document order (empty when missing). */
export function fieldValues(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  collect(doc, makePath(path), 0, out);
  return out;
}

function normaliseArray(arr: unknown[]): unknown {
  // Fast path: a flat array of scalars without nulls is already what we need.
  let clean = true;
  for (let k = 0; k < arr.length; k++) {
    const x = arr[k];
    if (x === null || x === undefined || typeof x === 'object') {
      clean = false;
      break;
    }
  }
  if (clean) return arr.length === 0 ? null : arr.length === 1 ? arr[0] : arr;
  const out: unknown[] = [];
  collect(arr, EMPTY_PATH, 0, out);
  return out.length === 0 ? null : out.length === 1 ? out[0] : out;
}

const EMPTY_PATH: Path = { parts: [], keys: [] };

// collect() never re-enters user code, so one scratch array serves every slow read.
const scratch: unknown[] = [];

function slow(path: Path): FieldReader {
  return (doc) => {
    scratch.length = 0;
    collect(doc, path, 0, scratch);
    const n = scratch.length;
    return n === 0 ? null : n === 1 ? scratch[0] : scratch.slice();
  };
}

/** Normalises a value found by the fast nested read; undefined means "look again the slow way". */
function finish(v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object') return typeof v === 'function' ? undefined : v;
  if (Array.isArray(v)) return normaliseArray(v);
  return null;
}

/**
 * A reader for one dotted field path. `nullValue` is the mapping's `null_value`: an explicit JSON null
 * (not a missing key) reads as that value, as ES indexes it.
 */
export function fieldReader(path: string, nullValue?: unknown): FieldReader {
  const compiled = makePath(path);
  const parts = compiled.parts;
  if (nullValue !== undefined && nullValue !== null) {
    return (doc) => {
      const out: unknown[] = [];
      collect(doc, compiled, 0, out, true);
      const vals = out.map((v) => (v === null ? nullValue : v));
      return vals.length === 0 ? null : vals.length === 1 ? vals[0] : vals;
    };
  }
  return generatedReader(parts, slow(compiled));
}

/**
 * The fast nested read as generated code with the path's keys as literals, so each field gets its own
 * property-load inline caches (a shared closure indexing with variable keys goes megamorphic on real,
 * many-shaped events). Keys are embedded with JSON.stringify, so no field name can inject code.
 */
function generatedReader(parts: readonly string[], fallback: FieldReader): FieldReader {
  const key = (k: number) => JSON.stringify(parts[k]);
  const n = parts.length;
  // When the nested walk misses at depth k, the field can still exist only behind a dotted key at one of the
  // objects walked so far (the first step off the nested path). Those keys are literals here, so checking
  // them costs a map check each; only a hit pays for the full search.
  const dotted = (k: number): string => {
    const tests: string[] = [];
    for (let j = 0; j <= k; j++) {
      for (let m = j + 1; m < n; m++) tests.push(`x${j}[${JSON.stringify(parts.slice(j, m + 1).join('.'))}] !== undefined`);
    }
    return tests.length === 0 ? 'false' : tests.join(' || ');
  };
  const body: string[] = ['if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return null;'];
  if (n === 1) {
    body.push(`const v = finish(doc[${key(0)}]);`, 'return v === undefined ? null : v;');
  } else {
    body.push('const x0 = doc;');
    for (let k = 0; k < n - 1; k++) {
      const x = `x${k + 1}`;
      body.push(`const ${x} = x${k}[${key(k)}];`);
      body.push(`if (${x} === undefined || ${x} === null) return ${dotted(k)} ? fallback(doc) : null;`);
      body.push(`if (typeof ${x} !== "object" || Array.isArray(${x})) return fallback(doc);`);
    }
    body.push(`const raw = x${n - 1}[${key(n - 1)}];`, 'const v = finish(raw);', 'if (v !== undefined) return v;');
    body.push(`if (raw !== undefined && raw !== null) return fallback(doc);`);
    body.push(`return ${dotted(n - 1)} ? fallback(doc) : null;`);
  }
  const factory = new Function('finish', 'fallback', `return function readField(doc) {\n  ${body.join('\n  ')}\n};`) as (
    f: typeof finish,
    fb: FieldReader,
  ) => FieldReader;
  return factory(finish, fallback);
}
