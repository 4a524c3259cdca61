import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCOUNT, APPROVAL_CHANNEL, APPROVER, REQUESTER } from './constants';

/**
 * The slice of the built bot (dist/) the seeding uses. The bench compiles nothing from src/: it seeds with the very
 * build it benchmarks (same migrations, same row mapping, same audit hash chain), and src/ being mid-edit by someone
 * else never breaks the bench's own compilation.
 */
interface Plan {
  task: string;
  option: string;
  policyName: string;
  documentText: string;
  managedPolicyArns: string[];
  sha256: string;
}
interface AccessRequest {
  id: string;
  policyName: string;
  sha256: string;
  managedPolicyArns: string[];
}
interface NewAuditEvent {
  requestId: string;
  at: Date;
  actor: string;
  type: string;
  details: Record<string, unknown>;
}
export interface Store {
  createRequest(request: Record<string, unknown>, event: NewAuditEvent): Promise<AccessRequest>;
  setCard(id: string, card: { channelId: string; messageTs: string }): Promise<void>;
  transition(
    id: string,
    from: string,
    to: string,
    patch: Record<string, unknown>,
    event: NewAuditEvent,
  ): Promise<unknown>;
  appendEvent(event: NewAuditEvent): Promise<unknown>;
  getRequest(id: string): Promise<unknown>;
  listEvents(requestId: string): Promise<unknown[]>;
  listRequests?(query: Record<string, unknown>): Promise<unknown[]>;
  close(): Promise<void>;
}

export function loadBuiltBot(root: string) {
  const load = createRequire(join(root, 'dist', 'index.js'));
  return {
    openStore: (load('./store/index.js') as { openStore(url: string): Promise<Store> }).openStore,
    generatePlan: (load('./policy/index.js') as { generatePlan(r: Record<string, unknown>): Promise<Plan> })
      .generatePlan,
    newRequestId: (load('./access/service.js') as { newRequestId(): string }).newRequestId,
  };
}

/**
 * A seeded database for this build of the bot, from the cache in `cacheDir` when the same build (every file under
 * dist/store, dist/access and dist/policy) and count were seeded before, else seeded now and cached.
 */
export async function seededDatabase(
  root: string,
  file: string,
  count: number,
  cacheDir: string,
): Promise<{ ms: number; cached: boolean; states?: Record<string, number> }> {
  const hash = createHash('sha256').update(`${count}\n`).update(readFileSync(__filename));
  for (const dir of ['store', 'access', 'policy']) {
    const folder = join(root, 'dist', dir);
    for (const name of readdirSync(folder, { recursive: true, encoding: 'utf8' }).sort())
      if (name.endsWith('.js')) hash.update(name).update(readFileSync(join(folder, name)));
  }
  const cached = join(cacheDir, `seed-${count}-${hash.digest('hex').slice(0, 16)}.db`);
  if (existsSync(cached)) {
    copyFileSync(cached, file);
    return { ms: 0, cached: true };
  }
  const result = await seedDatabase(root, file, count);
  mkdirSync(cacheDir, { recursive: true });
  copyFileSync(file, `${cached}.tmp`);
  renameSync(`${cached}.tmp`, cached);
  return { ...result, cached: false };
}

/**
 * Fills a SQLite database with `count` requests in a realistic mix of states, each with the events the bot itself
 * would have written, through the Store API (openStore), so rows and events are exactly what the bot writes.
 *
 * Written on tmpfs (/dev/shm, when present) where SQLite's fsync per commit costs nothing, then copied to `file`:
 * the bot under test then reads and writes a file on the same disk as the empty-database run.
 */
export async function seedDatabase(
  root: string,
  file: string,
  count: number,
): Promise<{ ms: number; states: Record<string, number> }> {
  const started = Date.now();
  const { openStore, generatePlan, newRequestId } = loadBuiltBot(root);
  const scratch = mkdtempSync(
    join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), 'cases-access-seed-'),
  );
  const scratchFile = join(scratch, 'seed.db');
  const store = await openStore(`sqlite:${scratchFile}`);
  const states: Record<string, number> = {};
  try {
    const plans = {
      onboard: await generatePlan({ task: 'onboard', option: 'minimal', accountId: ACCOUNT }),
      view: await generatePlan({ task: 'view', option: 'managed', accountId: ACCOUNT }),
    };
    const now = Date.now();
    for (let i = 0; i < count; i++) {
      const plan = i % 3 === 0 ? plans.view : plans.onboard;
      const state = stateFor(i);
      // ~90 days of history, oldest first; requests still pending are recent (younger than REMIND_AFTER's 2 h
      // default), as in a bot that has been running: older ones were expired by its scheduler.
      const createdAt =
        state === 'pending'
          ? new Date(now - (i % 60) * 60_000 - 60_000)
          : new Date(now - (count - i) * 60_000 * 13);
      const at = (minutes: number) => new Date(createdAt.getTime() + minutes * 60_000);
      const id = newRequestId();
      const name = `connect-team-${i % 250}`;
      const requester = `UREQ${String(i % 400).padStart(5, '0')}`;
      const timeBound = state === 'applied-until' || state === 'revoked';
      const request = await store.createRequest(
        {
          id,
          createdAt,
          requesterId: requester === APPROVER ? REQUESTER : requester,
          role: { arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, accountId: ACCOUNT, name, path: '/' },
          task: plan.task,
          option: plan.option,
          reason: `seeded request ${i}: migrating team ${i % 250} to Cases`,
          policyName: plan.policyName,
          documentText: plan.documentText,
          managedPolicyArns: plan.managedPolicyArns,
          sha256: plan.sha256,
          ...(timeBound ? { durationSeconds: 30 * 86_400 } : {}),
        },
        event(id, createdAt, requester, 'requested', {
          task: plan.task,
          option: plan.option,
          sha256: plan.sha256,
        }),
      );
      const card = {
        channelId: APPROVAL_CHANNEL,
        messageTs: `${Math.floor(createdAt.getTime() / 1000)}.${String(i).padStart(6, '0')}`,
      };
      await store.setCard(id, card);
      await store.appendEvent(event(id, at(0), 'bot', 'card_posted', { ...card }));
      states[state] = (states[state] ?? 0) + 1;
      if (state === 'pending') continue;
      if (state === 'expired') {
        await store.transition(
          id,
          'pending',
          'expired',
          { completedAt: at(24 * 60) },
          event(id, at(24 * 60), 'bot', 'expired', { pendingTtlSeconds: 86_400 }),
        );
        continue;
      }
      if (state === 'denied') {
        await store.transition(
          id,
          'pending',
          'denied',
          { decidedBy: APPROVER, decidedAt: at(30), denyReason: 'use view' },
          event(id, at(30), APPROVER, 'denied', { reason: 'use view' }),
        );
        continue;
      }
      await store.transition(
        id,
        'pending',
        'approved',
        { decidedBy: APPROVER, decidedAt: at(20) },
        event(id, at(20), APPROVER, 'approved', { sha256: plan.sha256 }),
      );
      if (state === 'failed') {
        const failure = {
          code: 'AccessDenied',
          message: 'not authorized to perform iam:PutRolePolicy',
          awsRequestId: `req-${i}`,
        };
        await store.transition(
          id,
          'approved',
          'failed',
          { completedAt: at(21), failure },
          event(id, at(21), 'bot', 'failed', { ...failure }),
        );
        continue;
      }
      // Time-bound grants still running end in the future; revoked ones ended (or were revoked) in the past.
      const expiresAt =
        state === 'applied-until'
          ? new Date(now + ((i % 29) + 1) * 86_400_000)
          : timeBound
            ? at(20 + 30 * 1440)
            : undefined;
      await applyEvents(store, request, at(20), expiresAt);
      if (state === 'revoked') {
        const when = at(20 + 7 * 1440);
        await store.transition(
          id,
          'applied',
          'revoking',
          {},
          event(id, when, APPROVER, 'revoking', { reason: 'no longer needed' }),
        );
        await store.transition(
          id,
          'revoking',
          'revoked',
          { revokedBy: APPROVER, revokedAt: when, revokeReason: 'no longer needed' },
          event(id, when, 'bot', 'revoked', { reason: 'no longer needed' }),
        );
      }
    }
    await store.close();
    copyFileSync(scratchFile, file); // closed cleanly: the WAL is checkpointed into the main file
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { ms: Date.now() - started, states };
}

async function applyEvents(store: Store, request: AccessRequest, at: Date, expiresAt?: Date): Promise<void> {
  const id = request.id;
  await store.appendEvent(
    event(id, at, 'bot', 'iam_call', {
      operation: 'PutRolePolicy',
      policyName: request.policyName,
      sha256: request.sha256,
      awsRequestId: `put-${id}`,
    }),
  );
  for (const arn of request.managedPolicyArns)
    await store.appendEvent(
      event(id, at, 'bot', 'iam_call', {
        operation: 'AttachRolePolicy',
        policyArn: arn,
        awsRequestId: `attach-${id}`,
      }),
    );
  await store.appendEvent(
    event(id, at, 'bot', 'verified', {
      policyName: request.policyName,
      sha256: request.sha256,
      managedPolicyArns: request.managedPolicyArns,
    }),
  );
  await store.transition(
    id,
    'approved',
    'applied',
    { completedAt: at, ...(expiresAt ? { expiresAt } : {}) },
    event(id, at, 'bot', 'applied', {}),
  );
}

type SeedState = 'applied' | 'applied-until' | 'revoked' | 'denied' | 'expired' | 'pending' | 'failed';
/** Of every 20: 9 applied for good, 2 applied until a date still ahead, 2 revoked, 3 denied, 2 expired unanswered,
 *  1 pending (recent), 1 failed. */
function stateFor(i: number): SeedState {
  const k = i % 20;
  if (k < 9) return 'applied';
  if (k < 11) return 'applied-until';
  if (k < 13) return 'revoked';
  if (k < 16) return 'denied';
  if (k < 18) return 'expired';
  if (k < 19) return 'pending';
  return 'failed';
}

export function event(
  requestId: string,
  at: Date,
  actor: string,
  type: string,
  details: Record<string, unknown>,
): NewAuditEvent {
  return { requestId, at, actor, type, details };
}
