import type { Store } from '../store/store';
import type { Clock } from './ports';
import type { Reporter } from './reporter';
import type { AccessRequest } from './types';

/** Records each IAM call twice, in one transaction: as an event (with AWS's request ID) and as a reply in the card's thread. */
export class Journal {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly report: Reporter,
  ) {}

  /** Written before each IAM write: after a crash, an intent without its outcome says the call may have happened. */
  async intent(request: AccessRequest, operation: string, details: Record<string, unknown>): Promise<void> {
    await this.store.appendEvent({
      requestId: request.id,
      at: this.clock.now(),
      actor: 'bot',
      type: 'iam_intent',
      details: { operation, ...details },
    });
  }

  async iamCall(
    request: AccessRequest,
    operation: string,
    target: string,
    awsRequestId: string | undefined,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.report.record(
      {
        requestId: request.id,
        at: this.clock.now(),
        actor: 'bot',
        type: 'iam_call',
        details: { operation, ...details, awsRequestId: awsRequestId ?? null },
      },
      { thread: { kind: 'iam_call', operation, target, awsRequestId } },
    );
  }
}

/**
 * IAM is eventually consistent: probe until it reports no problem, pausing `delayMs`, then twice that, and so on.
 * Returns the last problem when every attempt saw one.
 */
export async function readBack(
  clock: Clock,
  attempts: number,
  delayMs: number,
  probe: () => Promise<string | undefined>,
): Promise<string | undefined> {
  let problem: string | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await clock.sleep(delayMs * 2 ** (attempt - 1));
    problem = await probe();
    if (problem === undefined) return undefined;
  }
  return problem;
}
