// Reads a dotted ECS field from a document that may be nested (`{process: {name}}`), flattened
// (`{"process.name": ...}`) or a mix of both (`{process: {"parent.name": ...}}`).

type Doc = Record<string, unknown>;

/** Returns the field's value, or undefined when absent. */
export function getField(doc: unknown, path: string): unknown {
  if (doc === null || typeof doc !== 'object') return undefined;
  const obj = doc as Doc;
  if (path in obj) return obj[path];
  let dot = path.indexOf('.');
  while (dot !== -1) {
    const head = path.slice(0, dot);
    const inner = obj[head];
    if (inner !== undefined && inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
      const found = getField(inner, path.slice(dot + 1));
      if (found !== undefined) return found;
    }
    dot = path.indexOf('.', dot + 1);
  }
  return undefined;
}

/** The first value of a field (ECS fields are often arrays), as a string, or undefined. */
export function getString(doc: unknown, path: string): string | undefined {
  let value = getField(doc, path);
  if (Array.isArray(value)) value = value[0];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : String(value);
}
