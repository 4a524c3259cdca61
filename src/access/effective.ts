import { deciding, simulateDocumented } from './evidence';
import { IamError } from './ports';
import type { Clock, IamGateway, SimulatedDecision, StepNotice } from './ports';
import type { Reporter } from './reporter';
import type { AccessRequest } from './types';

/**
 * After a write, asks IAM's evaluator what the role may now do with the grant's documented actions: informational,
 * like the card's evidence. It never fails an apply or a revocation (the read-back decides those); an unanswered
 * simulation is reported as not checked.
 */

type Probe = (probe: () => Promise<string | undefined>) => Promise<string | undefined>;

const keyOf = (d: { action: string; resource: string }): string => `${d.action} ${d.resource}`;

/**
 * After applying: every documented action should now be allowed on its resource. Retried (eventual consistency)
 * while one the card's evidence expected to be allowed is not; those it expected to stay denied are not waited for.
 */
export async function effectiveAfterApply(
  iam: IamGateway,
  request: AccessRequest,
  retry: Probe,
): Promise<StepNotice> {
  const evidence = request.evidence;
  const expectedDenied = new Set(
    evidence?.checked ? evidence.rows.filter((r) => r.after !== 'allowed').map(keyOf) : [],
  );
  const notAllowed = (ds: SimulatedDecision[]) => ds.filter((d) => d.decision !== 'allowed');
  return check('applied', async () => {
    let last: SimulatedDecision[] = [];
    await retry(async () => {
      last = await simulateDocumented(iam, request.role.arn, request.documentText, []);
      return notAllowed(last).some((d) => !expectedDenied.has(keyOf(d))) ? 'not yet' : undefined;
    });
    const boundary = evidence?.boundary;
    return {
      total: last.length,
      unexpected: notAllowed(last).map((d) => ({ action: d.action, why: deciding(d, boundary) })),
    };
  });
}

/**
 * After revoking: the grant's actions should be back to what the card's evidence found before it. Names each one
 * allowed now that was not allowed then, with the policy IAM says allows it (without evidence: each one allowed).
 */
export async function effectiveAfterRevoke(
  iam: IamGateway,
  request: AccessRequest,
  retry: Probe,
): Promise<StepNotice> {
  const evidence = request.evidence;
  const allowedBefore = new Set(
    evidence?.checked ? evidence.rows.filter((r) => r.before === 'allowed').map(keyOf) : [],
  );
  const stillAllowed = (ds: SimulatedDecision[]) =>
    ds.filter((d) => d.decision === 'allowed' && !allowedBefore.has(keyOf(d)));
  return check('revoked', async () => {
    let last: SimulatedDecision[] = [];
    await retry(async () => {
      last = await simulateDocumented(iam, request.role.arn, request.documentText, []);
      // Only this grant's own policy still showing is worth waiting for; another policy's allow is the answer.
      return stillAllowed(last).some((d) => d.matched.includes(request.policyName)) ? 'not yet' : undefined;
    });
    return {
      total: last.length,
      unexpected: stillAllowed(last).map((d) => ({
        action: d.action,
        why: `still allowed by ${d.matched.join(', ') || 'another policy'}`,
      })),
    };
  });
}

async function check(
  stage: 'applied' | 'revoked',
  run: () => Promise<{ total: number; unexpected: { action: string; why: string }[] }>,
): Promise<StepNotice> {
  try {
    return { kind: 'effective', stage, ...(await run()) };
  } catch (error) {
    // Informational only: whatever goes wrong is reported as not checked, never as a failed apply or revocation.
    const code = error instanceof IamError ? error.code : 'InternalError';
    return { kind: 'effective', stage, total: 0, unexpected: [], notChecked: code };
  }
}

/** What IAM's simulator said after the writes: a `verified` event in the audit log, and a reply in the thread. */
export async function recordEffective(
  report: Reporter,
  clock: Clock,
  request: AccessRequest,
  notice: StepNotice,
): Promise<void> {
  if (notice.kind !== 'effective') return;
  const { stage, total, unexpected, notChecked } = notice;
  await report.record(
    {
      requestId: request.id,
      at: clock.now(),
      actor: 'bot',
      type: 'simulated',
      details: { after: stage, total, unexpected, notChecked: notChecked ?? null },
    },
    { thread: notice },
  );
}
