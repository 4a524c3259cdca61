import { formatDuration } from './duration';
import type { Clock } from './ports';
import { final } from './reporter';
import type { Reporter } from './reporter';
import type { AccessRequest } from './types';

/**
 * A request left pending for PENDING_TTL expires: by the scheduler's pass, or by the first decision that finds it
 * stale, whichever comes first (one conditional update, so once).
 */
export async function expirePending(
  deps: { clock: Clock; report: Reporter },
  request: AccessRequest,
  pendingTtlSeconds: number,
): Promise<void> {
  const { clock, report } = deps;
  const now = clock.now();
  await report.transition(
    request.id,
    'pending',
    'expired',
    { completedAt: now },
    { requestId: request.id, at: now, actor: 'bot', type: 'expired', details: { pendingTtlSeconds } },
    final({ kind: 'expired', pendingFor: formatDuration(pendingTtlSeconds) }),
  );
}
