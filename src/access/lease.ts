import type { Logger } from '../log';
import type { Store } from '../store/store';
import type { Reporter } from './reporter';
import type { Clock } from './ports';
import type { AccessRequest, RequestState } from './types';

/**
 * Ownership of an apply or a revocation. Whoever moved the request into `approved` or `revoking` (or took it over
 * after its lease ran out) holds the lease under a generation number; before each IAM write the owner proves that
 * generation is still current, which also renews the lease. A worker that was paused past its lease (a hung
 * socket, a stopped process) finds a newer generation and stops instead of writing.
 */

/** The worker no longer owns the request: another took it over, or the request moved on. */
export class OwnershipLost extends Error {
  override readonly name = 'OwnershipLost';
  constructor(readonly current: AccessRequest | undefined) {
    super(
      `request ${current?.id ?? '?'} is now ${current?.state ?? 'gone'} (lease generation ${current?.leaseGeneration ?? '?'})`,
    );
  }
}

export class Lease {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly leaseMs: number,
  ) {}

  /** The end of a lease taken or renewed now. */
  end(): Date {
    return new Date(this.clock.now().getTime() + this.leaseMs);
  }

  /** Proves `request` is still in `state` under its generation and renews the lease; throws OwnershipLost if not. */
  async prove(request: AccessRequest, state: RequestState): Promise<void> {
    if (await this.store.renewLease(request.id, state, request.leaseGeneration, this.end())) return;
    throw new OwnershipLost(await this.store.getRequest(request.id));
  }

  /** After a write: undefined while the owner still owns the request, else what it has become. */
  async lost(request: AccessRequest, state: RequestState): Promise<OwnershipLost | undefined> {
    const current = await this.store.getRequest(request.id);
    if (current && current.state === state && current.leaseGeneration === request.leaseGeneration)
      return undefined;
    return new OwnershipLost(current);
  }
}

/**
 * A worker that lost its request records that it stopped (an event, a warning, a thread reply) and changes nothing
 * else: the request belongs to whoever holds it now.
 */
export async function recordFenced(
  deps: { store: Store; clock: Clock; logger: Logger; report: Reporter },
  request: AccessRequest,
  lost: OwnershipLost,
  work: 'applying' | 'revoking',
): Promise<void> {
  const state = lost.current?.state ?? 'gone';
  deps.logger.warn(`stopped ${work}: the request is no longer this worker’s`, {
    requestId: request.id,
    state,
  });
  await deps.report.record(
    {
      requestId: request.id,
      at: deps.clock.now(),
      actor: 'bot',
      type: 'fenced',
      details: { leaseGeneration: request.leaseGeneration, now: state },
    },
    { thread: { kind: 'fenced', state } },
  );
}
