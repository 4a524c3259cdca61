// Failures are asserted through their message, not `toThrow`: better-sqlite3's native binding is loaded once per
// jest worker, so its errors can come from another test file's realm and fail jest's instanceof-based check.
import type { AccessRequest, NewAccessRequest, NewAuditEvent } from '../../src/access/types';
import type { Store } from '../../src/store';

/** A fresh, empty, migrated store; the suite closes it after each test. */
export type StoreFactory = () => Promise<Store>;

let counter = 0;

export function newRequest(overrides: Partial<NewAccessRequest> = {}): NewAccessRequest {
  counter += 1;
  return {
    id: `req-${counter}-${Math.random().toString(36).slice(2, 8)}`,
    createdAt: new Date('2025-03-04T05:06:07.089Z'),
    requesterId: 'U012REQUESTER',
    role: {
      arn: 'arn:aws:iam::111122223333:role/service/agents/CasesAgent',
      accountId: '111122223333',
      name: 'CasesAgent',
      path: '/service/agents/',
    },
    task: 'view',
    option: 'minimal',
    reason: 'Investigate case 42 — "quotes" & ünïcode',
    policyName: 'cases-access-view',
    documentText: '{"Version":"2012-10-17","Statement":[]}',
    managedPolicyArns: [],
    sha256: 'a'.repeat(64),
    ...overrides,
  };
}

export function event(
  requestId: string,
  type: NewAuditEvent['type'],
  extra: Partial<NewAuditEvent> = {},
): NewAuditEvent {
  return { requestId, at: new Date('2025-03-04T05:06:08.000Z'), actor: 'bot', type, details: {}, ...extra };
}

/**
 * The behaviour every Store must have, whatever the database. Run it once per implementation:
 * `describe('sqlite', () => storeContract(() => openStore('sqlite::memory:')))`.
 */
export function storeContract(factory: StoreFactory): void {
  let store: Store;
  beforeEach(async () => {
    store = await factory();
  });
  afterEach(async () => {
    await store.close();
  });

  const create = async (overrides: Partial<NewAccessRequest> = {}): Promise<AccessRequest> => {
    const r = newRequest(overrides);
    return store.createRequest(r, event(r.id, 'requested', { actor: r.requesterId }));
  };

  describe('createRequest / getRequest', () => {
    it('round-trips every field, with absent optional fields absent (not null)', async () => {
      const input = newRequest();
      const created = await store.createRequest(input, event(input.id, 'requested'));
      const expected: AccessRequest = {
        ...input,
        state: 'pending',
        attachedManagedArns: [],
        leaseGeneration: 0,
        revokeFailures: 0,
        approvals: [],
      };
      expect(created).toStrictEqual(expected);
      const got = await store.getRequest(input.id);
      expect(got).toStrictEqual(expected);
      expect(got?.createdAt).toBeInstanceOf(Date);
      expect(got?.createdAt.toISOString()).toBe('2025-03-04T05:06:07.089Z');
      for (const k of [
        'instance',
        'card',
        'decidedBy',
        'decidedAt',
        'denyReason',
        'completedAt',
        'failure',
      ]) {
        expect(got).not.toHaveProperty(k);
      }
    });

    it('round-trips the instance scope, the managed policy ARNs and the other task/option', async () => {
      const input = newRequest({
        task: 'onboard',
        option: 'managed',
        instance: { instanceId: '8a9b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d', region: 'eu-west-2' },
        managedPolicyArns: [
          'arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess',
          'arn:aws:iam::aws:policy/AmazonConnect_FullAccess',
        ],
      });
      await store.createRequest(input, event(input.id, 'requested'));
      expect(await store.getRequest(input.id)).toStrictEqual({
        ...input,
        state: 'pending',
        attachedManagedArns: [],
        leaseGeneration: 0,
        revokeFailures: 0,
        approvals: [],
      });
    });

    it('writes the requested event in the same call', async () => {
      const r = await create();
      const events = await store.listEvents(r.id);
      expect(events.map((e) => [e.type, e.actor])).toEqual([['requested', 'U012REQUESTER']]);
    });

    it('rejects a duplicate id and writes no second event', async () => {
      const r = await create();
      const again = newRequest({ id: r.id });
      await expect(store.createRequest(again, event(r.id, 'requested'))).rejects.toHaveProperty('message');
      expect(await store.listEvents(r.id)).toHaveLength(1);
    });

    it('refuses an event that belongs to another request', async () => {
      const r = newRequest();
      await expect(store.createRequest(r, event('someone-else', 'requested'))).rejects.toHaveProperty(
        'message',
        expect.stringMatching(/someone-else/),
      );
      expect(await store.getRequest(r.id)).toBeUndefined();
    });

    it('returns undefined for an unknown id', async () => {
      expect(await store.getRequest('nope')).toBeUndefined();
    });
  });

  describe('setCard', () => {
    it('stores the card reference', async () => {
      const r = await create();
      await store.setCard(r.id, { channelId: 'C0APPROVERS', messageTs: '1712345678.000200' });
      const got = await store.getRequest(r.id);
      expect(got?.card).toStrictEqual({ channelId: 'C0APPROVERS', messageTs: '1712345678.000200' });
      expect(got?.state).toBe('pending');
    });

    it('rejects an unknown request', async () => {
      await expect(store.setCard('nope', { channelId: 'C1', messageTs: '1.2' })).rejects.toHaveProperty(
        'message',
        expect.stringMatching(/nope/),
      );
    });
  });

  describe('transition', () => {
    it('moves the state, applies the patch, appends the event and returns the re-read request', async () => {
      const r = await create();
      const decidedAt = new Date('2025-03-04T06:00:00.123Z');
      const approved = await store.transition(
        r.id,
        'pending',
        'approved',
        { decidedBy: 'U0APPROVER', decidedAt },
        event(r.id, 'approved', { actor: 'U0APPROVER', at: decidedAt }),
      );
      expect(approved).toStrictEqual({ ...r, state: 'approved', decidedBy: 'U0APPROVER', decidedAt });
      expect(await store.getRequest(r.id)).toStrictEqual(approved);
      expect((await store.listEvents(r.id)).map((e) => e.type)).toEqual(['requested', 'approved']);
    });

    it('wins exactly once when 20 approvals race', async () => {
      const r = await create();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.transition(
            r.id,
            'pending',
            'approved',
            { decidedBy: `U${i}`, decidedAt: new Date() },
            event(r.id, 'approved', { actor: `U${i}` }),
          ),
        ),
      );
      const winners = results.filter((x) => x !== undefined);
      expect(winners).toHaveLength(1);
      const events = await store.listEvents(r.id);
      const approvals = events.filter((e) => e.type === 'approved');
      expect(approvals).toHaveLength(1);
      expect(approvals[0]?.actor).toBe(winners[0]?.decidedBy);
      expect((await store.getRequest(r.id))?.decidedBy).toBe(winners[0]?.decidedBy);
    });

    it('returns undefined and appends nothing from the wrong state', async () => {
      const r = await create();
      const result = await store.transition(
        r.id,
        'approved',
        'applied',
        { completedAt: new Date() },
        event(r.id, 'applied'),
      );
      expect(result).toBeUndefined();
      expect(await store.getRequest(r.id)).toStrictEqual(r);
      expect((await store.listEvents(r.id)).map((e) => e.type)).toEqual(['requested']);
    });

    it('returns undefined for an unknown request', async () => {
      expect(
        await store.transition('nope', 'pending', 'denied', {}, event('nope', 'denied')),
      ).toBeUndefined();
    });

    it('stores a denial reason', async () => {
      const r = await create();
      const denied = await store.transition(
        r.id,
        'pending',
        'denied',
        { decidedBy: 'U0APPROVER', decidedAt: new Date('2025-03-04T06:00:00Z'), denyReason: 'not this week' },
        event(r.id, 'denied'),
      );
      expect(denied).toMatchObject({ state: 'denied', denyReason: 'not this week' });
      expect(denied).not.toHaveProperty('completedAt');
    });

    it('stores a failure with and without an AWS request id, keeping earlier fields', async () => {
      const withId = await create();
      const without = await create();
      const decidedAt = new Date('2025-03-04T06:00:00Z');
      const completedAt = new Date('2025-03-04T06:00:05.5Z');
      for (const r of [withId, without]) {
        await store.transition(
          r.id,
          'pending',
          'approved',
          { decidedBy: 'U0A', decidedAt },
          event(r.id, 'approved'),
        );
      }
      const failed = await store.transition(
        withId.id,
        'approved',
        'failed',
        { completedAt, failure: { code: 'AccessDenied', message: 'no', awsRequestId: 'abc-123' } },
        event(withId.id, 'failed'),
      );
      expect(failed).toStrictEqual({
        ...withId,
        state: 'failed',
        decidedBy: 'U0A',
        decidedAt,
        completedAt,
        failure: { code: 'AccessDenied', message: 'no', awsRequestId: 'abc-123' },
      });
      const failed2 = await store.transition(
        without.id,
        'approved',
        'failed',
        { completedAt, failure: { code: 'Throttling', message: 'slow down' } },
        event(without.id, 'failed'),
      );
      expect(failed2?.failure).toStrictEqual({ code: 'Throttling', message: 'slow down' });
    });

    it('refuses an event that belongs to another request', async () => {
      const r = await create();
      await expect(
        store.transition(r.id, 'pending', 'denied', {}, event('other', 'denied')),
      ).rejects.toHaveProperty('message');
      expect((await store.getRequest(r.id))?.state).toBe('pending');
    });
  });

  describe('leases and fencing', () => {
    const until = new Date('2025-03-04T06:02:00.000Z');
    const approve = (id: string) =>
      store.transition(
        id,
        'pending',
        'approved',
        { decidedBy: 'U0APPROVER', decidedAt: new Date('2025-03-04T06:00:00.000Z'), leaseUntil: until },
        event(id, 'approved'),
      );

    it('taking a lease in a transition makes the next generation; renewing proves it', async () => {
      const r = await create();
      expect(r.leaseGeneration).toBe(0);
      const approved = (await approve(r.id))!;
      expect(approved.leaseGeneration).toBe(1);
      expect(await store.renewLease(r.id, 'approved', 1, new Date('2025-03-04T06:03:00.000Z'))).toBe(true);
      expect((await store.getRequest(r.id))?.leaseUntil).toEqual(new Date('2025-03-04T06:03:00.000Z'));
      // A stale generation, or the wrong state, proves nothing and changes nothing.
      expect(await store.renewLease(r.id, 'approved', 0, new Date('2025-03-04T07:00:00.000Z'))).toBe(false);
      expect(await store.renewLease(r.id, 'revoking', 1, new Date('2025-03-04T07:00:00.000Z'))).toBe(false);
      expect((await store.getRequest(r.id))?.leaseUntil).toEqual(new Date('2025-03-04T06:03:00.000Z'));
    });

    it('a takeover after the lease ended is the next generation, and fences the old owner out', async () => {
      const r = await create();
      await approve(r.id);
      expect(
        await store.claimLease(r.id, 'approved', new Date('2025-03-04T06:01:00.000Z'), until),
      ).toBeUndefined();
      const taken = await store.claimLease(r.id, 'approved', until, new Date('2025-03-04T06:05:00.000Z'));
      expect(taken?.leaseGeneration).toBe(2);
      expect(await store.renewLease(r.id, 'approved', 1, new Date('2025-03-04T06:06:00.000Z'))).toBe(false);
      // The old owner cannot finish the request either: a transition fenced by its generation matches nothing.
      const stale = await store.transition(
        r.id,
        'approved',
        'applied',
        { completedAt: new Date() },
        event(r.id, 'applied'),
        { generation: 1 },
      );
      expect(stale).toBeUndefined();
      expect((await store.listEvents(r.id)).map((e) => e.type)).toEqual(['requested', 'approved']);
      const current = await store.transition(
        r.id,
        'approved',
        'applied',
        { completedAt: new Date() },
        event(r.id, 'applied'),
        { generation: 2 },
      );
      expect(current?.state).toBe('applied');
    });

    it('of 10 takeovers racing for one ended lease, exactly one wins', async () => {
      const r = await create();
      await approve(r.id);
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          store.claimLease(r.id, 'approved', until, new Date('2025-03-04T06:05:00.000Z')),
        ),
      );
      expect(results.filter((x) => x !== undefined)).toHaveLength(1);
      expect((await store.getRequest(r.id))?.leaseGeneration).toBe(2);
    });
  });

  describe('dates', () => {
    it('refuses a date past year 9999 (its text would sort before "2026"), writing nothing', async () => {
      const r = await create();
      const far = new Date('+010000-01-01T00:00:00.000Z');
      await expect(
        store.transition(r.id, 'pending', 'approved', { expiresAt: far }, event(r.id, 'approved')),
      ).rejects.toHaveProperty('message', expect.stringMatching(/date out of range/));
      expect((await store.getRequest(r.id))?.state).toBe('pending');
      await expect(create({ createdAt: far })).rejects.toHaveProperty(
        'message',
        expect.stringMatching(/date out of range/),
      );
    });

    it('compares stored times in time order (expiresBefore)', async () => {
      const soon = await create();
      const later = await create();
      await store.updateRequest(soon.id, { expiresAt: new Date('2026-12-02T10:00:00.000Z') });
      await store.updateRequest(later.id, { expiresAt: new Date('9999-12-31T23:59:59.999Z') });
      const due = await store.listRequests({ expiresBefore: new Date('2027-01-01T00:00:00.000Z') });
      expect(due.map((x) => x.id)).toEqual([soon.id]);
    });
  });

  describe('claimDelivery / pruneDeliveries', () => {
    it('records a delivery once, and forgets it after pruning', async () => {
      const at = new Date('2025-03-04T05:06:07.000Z');
      expect(await store.claimDelivery('command:T1', at)).toBe(true);
      expect(await store.claimDelivery('command:T1', at)).toBe(false);
      expect(await store.claimDelivery('command:T2', new Date('2025-03-05T00:00:00.000Z'))).toBe(true);
      expect(await store.pruneDeliveries(new Date('2025-03-04T12:00:00.000Z'))).toBe(1);
      expect(await store.claimDelivery('command:T1', at)).toBe(true);
      expect(await store.claimDelivery('command:T2', at)).toBe(false);
    });
  });

  describe('appendEvent / listEvents', () => {
    it('returns events oldest first with increasing seq and round-trips details', async () => {
      const a = await create();
      const b = await create();
      const details = {
        action: 'PutRolePolicy',
        awsRequestId: 'd1e2',
        nested: { list: [1, 'two', null, true], empty: {} },
        text: 'ünïcode — "quoted"',
      };
      const e1 = await store.appendEvent(event(a.id, 'card_posted', { details: { ts: '1.2' } }));
      await store.appendEvent(event(b.id, 'card_posted'));
      const e2 = await store.appendEvent(
        event(a.id, 'iam_call', { details, at: new Date('2025-01-01T00:00:00.001Z'), actor: 'U9' }),
      );
      expect(e2).toStrictEqual({
        seq: e2.seq,
        requestId: a.id,
        at: new Date('2025-01-01T00:00:00.001Z'),
        actor: 'U9',
        type: 'iam_call',
        details,
        hash: e2.hash,
      });
      expect(e2.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(e2.seq).toBeGreaterThan(e1.seq);
      const events = await store.listEvents(a.id);
      expect(events.map((e) => e.type)).toEqual(['requested', 'card_posted', 'iam_call']);
      expect(events[1]).toStrictEqual(e1);
      expect(events[2]).toStrictEqual(e2);
      const seqs = events.map((e) => e.seq);
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
      expect(typeof seqs[0]).toBe('number');
    });

    it('rejects an event for an unknown request', async () => {
      await expect(store.appendEvent(event('nope', 'card_posted'))).rejects.toHaveProperty('message');
    });

    it('lists nothing for an unknown request', async () => {
      expect(await store.listEvents('nope')).toEqual([]);
    });
  });

  describe('outbox messages written with their event', () => {
    const queued = new Date('2025-03-04T05:06:09.000Z');
    const far = new Date('2030-01-01T00:00:00.000Z');
    const due = async (requestId: string) => {
      // Delivered one by one, the way the deliverer does: the oldest undelivered message of the request first.
      const out = [];
      for (;;) {
        const [next] = (await store.dueOutbox(far, 100)).filter((m) => m.requestId === requestId);
        if (!next) return out;
        out.push(next);
        await store.settleOutbox(next.id, { delivered: far });
      }
    };

    it('a transition queues its messages in order, the card update carrying the request as it left it', async () => {
      const r = await create();
      const denied = await store.transition(
        r.id,
        'pending',
        'denied',
        { decidedBy: 'U1', denyReason: 'no' },
        event(r.id, 'denied'),
        {
          outbox: [
            { kind: 'thread', notice: '{"kind":"denied"}', at: queued },
            { kind: 'requester', notice: '{"kind":"denied","dm":true}', at: queued },
            { kind: 'card', at: queued },
          ],
        },
      );
      const messages = await due(r.id);
      expect(
        messages.map((m) => [m.kind, m.notice === undefined ? undefined : m.notice.slice(0, 17)]),
      ).toEqual([
        ['thread', '{"kind":"denied"}'],
        ['requester', '{"kind":"denied",'],
        ['card', expect.any(String)],
      ]);
      const snapshot = JSON.parse(messages[2]!.notice!) as Record<string, unknown>;
      expect(snapshot).toMatchObject({ id: r.id, state: 'denied', decidedBy: 'U1', denyReason: 'no' });
      expect(snapshot).toEqual(JSON.parse(JSON.stringify(denied)));
    });

    it('a transition that loses queues nothing', async () => {
      const r = await create();
      const lost = await store.transition(r.id, 'approved', 'applied', {}, event(r.id, 'applied'), {
        outbox: [
          { kind: 'thread', notice: '{}', at: queued },
          { kind: 'card', at: queued },
        ],
      });
      expect(lost).toBeUndefined();
      expect(await due(r.id)).toEqual([]);
      expect(await store.pendingOutbox()).toBe(0);
    });

    it('an event that cannot be written queues nothing, and moves nothing', async () => {
      const r = await create();
      // A value JSON cannot hold fails the event's insert inside the transaction.
      const bad = event(r.id, 'denied', { details: { n: 1n } as unknown as Record<string, unknown> });
      await expect(
        store.transition(r.id, 'pending', 'denied', {}, bad, {
          outbox: [{ kind: 'thread', notice: '{}', at: queued }],
        }),
      ).rejects.toHaveProperty('message');
      expect((await store.getRequest(r.id))?.state).toBe('pending');
      expect(await store.pendingOutbox()).toBe(0);
    });

    it('appendEvent queues its messages after the event, in order per request', async () => {
      const a = await create();
      const b = await create();
      await store.appendEvent(event(a.id, 'iam_call'), [{ kind: 'thread', notice: '{"n":1}', at: queued }]);
      await store.appendEvent(event(b.id, 'iam_call'), [{ kind: 'thread', notice: '{"n":"b"}', at: queued }]);
      await store.appendEvent(event(a.id, 'verified'), [
        { kind: 'thread', notice: '{"n":2}', at: queued },
        { kind: 'card', at: queued },
      ]);
      await store.appendEvent(event(a.id, 'card_posted'));
      expect(await store.pendingOutbox()).toBe(4);
      // Due from the time each was queued (the deliverer's real time, not the event's).
      expect(await store.dueOutbox(new Date(queued.getTime() - 1), 10)).toEqual([]);
      expect((await store.dueOutbox(queued, 10)).map((m) => m.createdAt)).toEqual([queued, queued]);
      const ofA = await due(a.id);
      expect(ofA.map((m) => m.kind)).toEqual(['thread', 'thread', 'card']);
      expect(ofA.slice(0, 2).map((m) => m.notice)).toEqual(['{"n":1}', '{"n":2}']);
      expect(JSON.parse(ofA[2]!.notice!)).toMatchObject({ id: a.id, state: 'pending' });
      expect((await due(b.id)).map((m) => m.notice)).toEqual(['{"n":"b"}']);
    });
  });

  describe('ping / close', () => {
    it('pings true while open and false after close; close twice is harmless', async () => {
      const other = await factory();
      expect(await other.ping()).toBe(true);
      await other.close();
      expect(await other.ping()).toBe(false);
      await expect(other.close()).resolves.toBeUndefined();
    });
  });
}
