import { createHash } from 'node:crypto';

// IAM's conventional key order first (what people expect to read), anything else alphabetically after.
const KEY_ORDER = [
  'Version',
  'Id',
  'Statement',
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
];

function compareKeys(a: string, b: string): number {
  const ia = KEY_ORDER.indexOf(a);
  const ib = KEY_ORDER.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? Infinity : ia) - (ib === -1 ? Infinity : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

function order(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(order);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compareKeys(a, b));
    return Object.fromEntries(entries.map(([k, v]) => [k, order(v)]));
  }
  return value;
}

/** Compact JSON with a stable key order: the same document always yields the same text and hash. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(order(value));
}

/** The same order, indented, for people. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(order(value), null, 2);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** True when two policy texts say the same thing (whitespace and key order aside). */
export function sameDocument(a: string, b: string): boolean {
  try {
    return canonicalJson(JSON.parse(a)) === canonicalJson(JSON.parse(b));
  } catch {
    return false;
  }
}
