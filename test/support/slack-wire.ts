/**
 * The Slack Web API's wire format as the fake reads it: a request's body (form, JSON or multipart) decoded to
 * arguments the way Slack decodes them, and its token.
 */
import type { IncomingMessage } from 'node:http';

// Arguments that are free text: never JSON-decode them even if they happen to look like JSON.
const TEXT_ARGS = new Set(['text', 'markdown_text', 'title', 'initial_comment', 'query', 'fallback']);

function maybeJson(key: string, value: string): unknown {
  if (TEXT_ARGS.has(key)) return value;
  const first = value.trimStart()[0];
  if (first !== '{' && first !== '[') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function parseArgs(req: IncomingMessage, raw: string): Promise<Record<string, unknown>> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const args: Record<string, unknown> = {};
  if (contentType === 'application/json') {
    if (raw.trim() === '') return args;
    const parsed = JSON.parse(raw) as unknown;
    return typeof parsed === 'object' && parsed !== null ? { ...(parsed as Record<string, unknown>) } : args;
  }
  if (contentType === 'multipart/form-data') {
    // files.uploadV2 and friends: let the WHATWG parser handle boundaries.
    const form = await new Response(raw, {
      headers: { 'content-type': req.headers['content-type'] ?? '' },
    }).formData();
    form.forEach((value, key) => {
      args[key] = typeof value === 'string' ? maybeJson(key, value) : '[binary]';
    });
    return args;
  }
  // @slack/web-api sends application/x-www-form-urlencoded, with non-scalar values JSON-stringified.
  for (const [key, value] of new URLSearchParams(raw)) args[key] = maybeJson(key, value);
  return args;
}

export function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header);
  return match?.[1];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}
