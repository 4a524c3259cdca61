import { copyFileSync, existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ACCOUNT, APPROVAL_CHANNEL, APPROVER, REQUESTER } from './constants';
import { summarize } from './lib';
import type { Percentiles } from './lib';
import { event, loadBuiltBot } from './seed';
import type { Store } from './seed';

/**
 * The store alone, on the same two databases as the bots (empty, seeded), without HTTP or Slack in the way: the
 * time of each Store call the request paths make, and of the scheduler's scans. Separates what the database size
 * costs from the scheduling noise of the end-to-end figures. Works on copies; the bots' files are not touched.
 */
export type StoreOps = Record<string, Percentiles>;

export async function measureStoreOps(
  root: string,
  files: { empty: string; seeded: string },
  perRound: number,
): Promise<{ empty: StoreOps; seeded: StoreOps }> {
  const { openStore, generatePlan, newRequestId } = loadBuiltBot(root);
  const plan = await generatePlan({ task: 'onboard', option: 'minimal', accountId: ACCOUNT });
  const samples = { empty: new Map<string, number[]>(), seeded: new Map<string, number[]>() };
  const stores: Record<'empty' | 'seeded', Store> = {
    empty: await openStore(`sqlite:${copy(files.empty)}`),
    seeded: await openStore(`sqlite:${copy(files.seeded)}`),
  };
  const time = async <T>(target: 'empty' | 'seeded', op: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await fn();
    const list = samples[target].get(op) ?? [];
    list.push((performance.now() - started) * 1000);
    samples[target].set(op, list);
    return result;
  };
  // A B B A, so that drift hits both alike.
  for (const target of ['empty', 'seeded', 'seeded', 'empty'] as const) {
    const store = stores[target];
    for (let i = 0; i < perRound; i++) {
      const id = newRequestId();
      const now = new Date();
      const role = {
        arn: `arn:aws:iam::${ACCOUNT}:role/connect-admins`,
        accountId: ACCOUNT,
        name: 'connect-admins',
        path: '/',
      };
      await time(target, 'createRequest', () =>
        store.createRequest(
          {
            id,
            createdAt: now,
            requesterId: REQUESTER,
            role,
            task: plan.task,
            option: plan.option,
            reason: 'bench',
            policyName: plan.policyName,
            documentText: plan.documentText,
            managedPolicyArns: plan.managedPolicyArns,
            sha256: plan.sha256,
          },
          event(id, now, REQUESTER, 'requested', { sha256: plan.sha256 }),
        ),
      );
      await time(target, 'setCard', () =>
        store.setCard(id, {
          channelId: APPROVAL_CHANNEL,
          messageTs: `1700000000.${String(i).padStart(6, '0')}`,
        }),
      );
      await time(target, 'appendEvent', () => store.appendEvent(event(id, now, 'bot', 'card_posted', {})));
      await time(target, 'getRequest', () => store.getRequest(id));
      await time(target, 'transition', () =>
        store.transition(
          id,
          'pending',
          'approved',
          { decidedBy: APPROVER, decidedAt: now },
          event(id, now, APPROVER, 'approved', {}),
        ),
      );
      await time(target, 'listEvents', () => store.listEvents(id));
      if (i % 25 === 0 && store.listRequests) {
        // The scheduler's scans (every 30 s in the bot): grants due, pending too long, reminders, grants ending.
        const list = store.listRequests.bind(store);
        await time(target, 'scheduler scans (4 listRequests)', async () => {
          await list({ states: ['applied'], expiresBefore: now });
          await list({ states: ['pending'], createdBefore: new Date(now.getTime() - 86_400_000) });
          await list({ states: ['pending'], createdBefore: new Date(now.getTime() - 7_200_000) });
          await list({ states: ['applied'], expiresBefore: new Date(now.getTime() + 900_000) });
        });
      }
    }
  }
  await stores.empty.close();
  await stores.seeded.close();
  const out = (m: Map<string, number[]>): StoreOps =>
    Object.fromEntries([...m].map(([k, v]) => [k, summarize(v)]));
  return { empty: out(samples.empty), seeded: out(samples.seeded) };
}

/** A copy of `file`, or a new database (migrated when opened) if there is none yet. */
function copy(file: string): string {
  const target = `${file}.store-ops.db`;
  if (existsSync(file)) copyFileSync(file, target);
  return target;
}
