import { canonicalJson, sha256Hex } from '../policy/canonical';
import type { AuditEvent, NewAuditEvent } from '../access/types';

/** The audit log's hash chain. Pure: the store computes it on append, `audit verify` recomputes it. */

export const GENESIS_HASH = '0'.repeat(64);

/** What a hash covers: everything recorded about the event except the hash itself. */
export function eventContent(event: NewAuditEvent & { seq: number }): string {
  return canonicalJson({
    seq: event.seq,
    requestId: event.requestId,
    at: event.at.toISOString(),
    actor: event.actor,
    type: event.type,
    details: event.details,
  });
}

export function chainHash(previousHash: string, event: NewAuditEvent & { seq: number }): string {
  return sha256Hex(previousHash + eventContent(event));
}

export type ChainCheck =
  { ok: true; count: number } | { ok: false; count: number; seq: number; reason: string };

/** Walks the whole log in order; reports the first event whose hash does not follow from its predecessor. */
export function verifyChain(events: readonly AuditEvent[]): ChainCheck {
  let previous = GENESIS_HASH;
  let count = 0;
  for (const event of events) {
    const expected = chainHash(previous, event);
    if (event.hash !== expected)
      return {
        ok: false,
        count,
        seq: event.seq,
        reason: 'its content or its predecessor does not match its hash',
      };
    previous = event.hash;
    count += 1;
  }
  return { ok: true, count };
}
