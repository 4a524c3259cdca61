/**
 * In-process emulator of the slice of AWS IAM and STS the bot uses, speaking the AWS Query protocol
 * exactly as @aws-sdk/client-iam and @aws-sdk/client-sts v3 expect (form-encoded POST in, XML out,
 * request ID in the `x-amzn-RequestId` header), so tests exercise the real SDK end to end.
 *
 * Point clients at it with `endpoint: emulator.url`, or with AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS.
 * One server serves both services: the SigV4 signing scope (`/iam/aws4_request`, `/sts/aws4_request`)
 * says which one was meant, and the action name does when the scope is absent.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  MANAGED_POLICY_DOCUMENTS,
  simulatePrincipal,
  SimulationInputError,
  type SimulationPolicy,
} from './iam-emulator-simulate';

export interface EmulatorCall {
  service: 'iam' | 'sts';
  action: string;
  /** Every form parameter except Action and Version. */
  params: Record<string, string>;
  accessKeyId: string | undefined;
  /** The AssumeRole session the access key was issued to; undefined for static keys and unknown keys. */
  sessionName?: string;
  /** The `x-cases-access-fence` header (`<requestId>/<generation>`) exactly as sent; undefined when absent. */
  fence?: string;
  requestId: string;
  /** HTTP status of the answer; 0 while the call is still in flight (latency, hold). */
  status: number;
  /**
   * True when a read answered with the role's state from before a write that reads did not see yet (see setReadLag
   * and setNeverConsistent); undefined otherwise.
   */
  stale?: boolean;
}

export interface Fault {
  code: string;
  message: string;
  /** Defaults to the status real IAM/STS use for `code` (400 when unknown). */
  status?: number;
}

export interface RoleState {
  /** policy name → document text exactly as it was put */
  inline: Map<string, string>;
  /** managed policy ARNs, in attachment order */
  attached: string[];
}

/** A call held in the emulator until release() (see IamEmulator.hold). */
export interface HeldCall {
  /** Resolves with the held call once it has arrived (before its state change). */
  reached: Promise<EmulatorCall>;
  /**
   * Lets the held call proceed: only then is it validated against the state of that moment, its state change made
   * and its answer sent. May come at any time; there is no timeout. Idempotent. If release() comes before a call
   * arrived, the next matching call claims the hold but does not wait.
   */
  release(): void;
}

export interface AssumedSession {
  accessKeyId: string;
  account: string;
  roleArn: string;
  sessionName: string;
  sourceIdentity: string | undefined;
  externalId: string | undefined;
  expiration: Date;
}

export interface IamEmulator {
  readonly url: string;
  /** Every call, in arrival order, including failed ones. */
  readonly calls: EmulatorCall[];
  /** The default account: the one the static test credentials act in. */
  readonly accountId: string;
  /** ms spent inside the emulator answering calls (sum; includes setLatency, excludes time held), for benchmarks. */
  readonly totalHandlingMs: number;
  /** Creates a role (path defaults to `/`); returns its ARN. Throws if the name is taken in that account. */
  addRole(name: string, opts?: { account?: string; path?: string }): string;
  removeRole(arn: string): void;
  /**
   * Live (true) state, which reads may lag (see setReadLag): mutate it to simulate drift made outside the bot. Such
   * mutations are not writes for the consistency model: reads see them at once unless a lagging write hides them.
   */
  role(arn: string): RoleState | undefined;
  /** The next `times` calls of `action` fail with `fault`, before any state change. */
  queueFault(action: string, fault: Fault, times?: number): void;
  /** The next call of `action` waits until release(); its state change happens after release (crash tests). */
  hold(action: string): HeldCall;
  /**
   * Like hold, but holds the next call of `action` for which `predicate` is true (e.g. the PutRolePolicy of one
   * PolicyName, or the one sent under a given fence); other calls of `action` go through meanwhile. The call is
   * claimed when it arrives, so holds match calls in arrival order.
   */
  holdNext(
    action: string,
    predicate?: (params: Record<string, string>, call: EmulatorCall) => boolean,
  ): HeldCall;
  /** Calls currently waiting for release(). */
  heldCount(): number;
  callsOf(action: string): EmulatorCall[];
  /**
   * Marks a known managed policy as attachable or not (all are, by default). GetPolicy reports it in IsAttachable;
   * AttachRolePolicy of a non-attachable policy fails with PolicyNotAttachable. Throws if `arn` is not a known policy.
   */
  setPolicyAttachable(arn: string, attachable: boolean): void;
  /**
   * Makes a managed policy unknown: GetPolicy and AttachRolePolicy then answer NoSuchEntity. Roles it is attached to
   * keep it (as after a change made outside the bot). No-op if already unknown.
   */
  removeManagedPolicy(arn: string): void;
  /**
   * Creates a customer managed policy in `account` (default: the default account) with this document, as CreatePolicy
   * would (version v1); returns its ARN. Gone after reset().
   */
  addManagedPolicy(name: string, document: string, opts?: { account?: string }): string;
  /**
   * Puts `account` in an organization whose SCPs are these documents (SimulatePrincipalPolicy then evaluates them and
   * answers OrganizationsDecisionDetail); undefined takes it out. Cleared by reset().
   */
  setServiceControlPolicies(account: string, documents: string[] | undefined): void;
  /** Who an AssumeRole-issued access key belongs to. */
  sessionOf(accessKeyId: string): AssumedSession | undefined;
  /** Added delay per call (default 0). */
  setLatency(ms: number): void;
  /**
   * Eventual consistency, as IAM documents it: a change may not be visible at once to reads. With a lag set, each
   * write to a role (PutRolePolicy, DeleteRolePolicy, AttachRolePolicy, DetachRolePolicy, including an idempotent
   * attach) stays invisible to reads of that role's inline and attached state (GetRolePolicy, ListRolePolicies,
   * ListAttachedRolePolicies) for the next `reads` such reads of that role, counted per role whatever the policy
   * read and whatever the answer (a NoSuchEntity counts), and/or for `ms` of real time after the write; with both,
   * until both have passed. Meanwhile those reads answer from the role's state before the write (EmulatorCall.stale
   * is true). Several writes in a row are kept apart: a read sees the state as of the last write that is visible,
   * and writes become visible in the order they were made. Writes themselves validate against the true current
   * state (a DeleteRolePolicy of a policy a lagging read still shows as absent succeeds), as in IAM. The lag applies
   * to writes made from now on; GetRole (which shows none of this state), GetPolicy's AttachmentCount and role()
   * always show the true state. `undefined` (the default) turns lag off and makes every lagging write visible at
   * once; roles marked by setNeverConsistent stay so.
   */
  setReadLag(opts: { reads?: number; ms?: number } | undefined): void;
  /**
   * Makes a role never consistent (or, with `never` false, consistent again at once): from the first write to it
   * after this call, reads of its inline and attached state keep answering its state from just before that write,
   * whatever is written later. Until that write, reads behave as before (setReadLag). Throws if `arn` is not a role.
   */
  setNeverConsistent(arn: string, never?: boolean): void;
  /**
   * Clears calls, faults, holds (releasing held calls), roles, latency, read lag (setReadLag, setNeverConsistent)
   * and totalHandlingMs, and restores the managed policies to KNOWN_MANAGED_POLICIES, all attachable. Issued
   * credentials stay valid.
   */
  reset(): void;
  close(): Promise<void>;
}

/**
 * AWS managed policies that exist at start and after reset() (GetPolicy or AttachRolePolicy of anything else is
 * NoSuchEntity, as for a mistyped ARN). See setPolicyAttachable and removeManagedPolicy.
 */
export const KNOWN_MANAGED_POLICIES: readonly string[] = [
  'arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess',
  'arn:aws:iam::aws:policy/AmazonConnect_FullAccess',
  'arn:aws:iam::aws:policy/AdministratorAccess',
];

const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const VERSIONS = { iam: '2010-05-08', sts: '2011-06-15' } as const;
const ROLE_POLICY_SIZE_QUOTA = 10_240;
/** The header the bot names the owner of each IAM call in (`<requestId>/<generation>`); recorded as EmulatorCall.fence. */
const FENCE_HEADER = 'x-cases-access-fence';
/** Illustrative dates for the managed policies (each real policy has its own). */
const MANAGED_POLICY_CREATED = new Date('2015-02-06T18:40:00Z');
const MANAGED_POLICY_UPDATED = new Date('2018-10-17T16:10:00Z');
const NAME_PATTERN = /^[\w+=,.@-]+$/;
const NAME_PATTERN_TEXT = '[\\w+=,.@-]+';

/** HTTP status real IAM/STS answer with, per error code (from the SDK's error schemas and AWS's common errors). */
const STATUS_BY_CODE: Record<string, number> = {
  NoSuchEntity: 404,
  AccessDenied: 403,
  Throttling: 400,
  LimitExceeded: 409,
  MalformedPolicyDocument: 400,
  UnmodifiableEntity: 400,
  ServiceFailure: 500,
  ValidationError: 400,
  InvalidInput: 400,
  InvalidAction: 400,
  InvalidClientTokenId: 403,
  ExpiredToken: 403,
  MissingAuthenticationToken: 403,
  ConcurrentModification: 409,
  EntityTemporarilyUnmodifiable: 409,
  RegionDisabledException: 403,
  PolicyNotAttachable: 400,
};

class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = STATUS_BY_CODE[code] ?? 400,
  ) {
    super(message);
  }
}

interface Role extends RoleState {
  account: string;
  path: string;
  name: string;
  arn: string;
  id: string;
  created: Date;
  trustPolicy: string;
  maxSessionDuration: number;
  /** PutRolePermissionsBoundary's managed policy ARN. */
  boundary?: string;
}

interface Session extends AssumedSession {
  sessionToken: string;
  assumedRoleId: string;
  callerArn: string;
}

interface Caller {
  account: string;
  arn: string;
  userId: string;
}

interface Ctx {
  params: Record<string, string>;
  caller: Caller;
  call: EmulatorCall;
}

/** A write that reads of its role do not see yet (see IamEmulator.setReadLag). */
interface LaggingWrite {
  /** The role's state just before the write: what reads answer while it lags. */
  before: RoleState;
  /** Reads of the role still to answer from `before`. */
  readsLeft: number;
  /** performance.now() from which the write is visible, as far as time goes. */
  visibleAt: number;
}

interface Consistency {
  /** Writes not yet visible to reads, oldest first. */
  lagging: LaggingWrite[];
  /** setNeverConsistent: reads answer `frozen` once a write came after the call. */
  never: boolean;
  frozen?: RoleState;
}

interface Hold {
  action: string;
  matches: (params: Record<string, string>, call: EmulatorCall) => boolean;
  reached: (call: EmulatorCall) => void;
  released: Promise<void>;
  isReleased: boolean;
  release: () => void;
}

interface ManagedPolicy {
  id: string;
  attachable: boolean;
  document: string;
}

/** The inner XML of <XxxResult>, or undefined for "no result"; SimulatePrincipalPolicy answers asynchronously. */
type Handler = (ctx: Ctx) => string | undefined | Promise<string>;

export async function startIamEmulator(
  opts: { accountId?: string; callerArn?: string } = {},
): Promise<IamEmulator> {
  const accountId = opts.accountId ?? accountOfArn(opts.callerArn) ?? '111122223333';
  if (!/^\d{12}$/.test(accountId)) throw new Error(`accountId must be 12 digits: ${accountId}`);
  const callerArn = opts.callerArn ?? `arn:aws:sts::${accountId}:assumed-role/cases-access-bot/session`;
  if (accountOfArn(callerArn) !== accountId)
    throw new Error(`callerArn ${callerArn} is not in account ${accountId}`);
  const defaultCaller: Caller = { account: accountId, arn: callerArn, userId: userIdFor(callerArn) };

  const roles = new Map<string, Role>(); // key: account + ':' + lower-cased name (IAM role names are case-insensitive)
  // Managed policy IDs (ANPA…) stay the same for the life of the emulator, across reset().
  const policyIds = new Map(KNOWN_MANAGED_POLICIES.map((arn) => [arn, `ANPA${randomId(17)}`]));
  const managedPolicies = new Map<string, ManagedPolicy>();
  function restoreManagedPolicies(): void {
    managedPolicies.clear();
    for (const [arn, id] of policyIds)
      managedPolicies.set(arn, { id, attachable: true, document: MANAGED_POLICY_DOCUMENTS[arn] ?? '{}' });
  }
  restoreManagedPolicies();
  const sessions = new Map<string, Session>();
  const faults = new Map<string, Fault[]>();
  let pendingHolds: Hold[] = [];
  const activeHolds = new Set<Hold>();
  const calls: EmulatorCall[] = [];
  let latencyMs = 0;
  let totalHandlingMs = 0;
  let readLag: { reads: number; ms: number } | undefined;
  const consistency = new Map<Role, Consistency>();
  const scpsByAccount = new Map<string, string[]>();

  const snapshot = (role: RoleState): RoleState => ({
    inline: new Map(role.inline),
    attached: [...role.attached],
  });

  /** Called by each write just before it changes `role`: starts its lag (see setReadLag, setNeverConsistent). */
  function writing(role: Role): void {
    const c = consistency.get(role);
    if (c?.never) {
      c.frozen ??= snapshot(role);
      return;
    }
    if (!readLag) return;
    const entry = c ?? { lagging: [], never: false };
    entry.lagging.push({
      before: snapshot(role),
      readsLeft: readLag.reads,
      visibleAt: performance.now() + readLag.ms,
    });
    consistency.set(role, entry);
  }

  /** The inline and attached state a read of `role` sees now; counts the read, and marks the call when stale. */
  function readable(role: Role, ctx: Ctx): RoleState {
    const c = consistency.get(role);
    if (!c) return role;
    if (c.frozen) {
      ctx.call.stale = true;
      return c.frozen;
    }
    const now = performance.now();
    const first = c.lagging.findIndex((w) => w.readsLeft > 0 || now < w.visibleAt);
    if (first < 0) {
      c.lagging = [];
      if (!c.never) consistency.delete(role);
      return role;
    }
    const seen = c.lagging[first]!.before;
    c.lagging.splice(0, first); // visible now: reads see past them
    for (const w of c.lagging) w.readsLeft -= 1;
    ctx.call.stale = true;
    return seen;
  }

  const attachedPoliciesQuota = 10;
  const roleKey = (account: string, name: string): string => `${account}:${name.toLowerCase()}`;

  function findRoleByArn(arn: string): Role | undefined {
    const parsed = parseRoleArn(arn);
    if (!parsed) return undefined;
    const role = roles.get(roleKey(parsed.account, parsed.name));
    return role && role.path === parsed.path ? role : undefined;
  }

  function roleFor(ctx: Ctx): Role {
    const name = ctx.params.RoleName ?? '';
    const role = roles.get(roleKey(ctx.caller.account, name));
    if (!role) throw new ApiError('NoSuchEntity', `The role with name ${name} cannot be found.`);
    return role;
  }

  /** Service-linked roles belong to AWS: IAM refuses to change them. */
  function writableRoleFor(ctx: Ctx): Role {
    const role = roleFor(ctx);
    if (role.path.startsWith('/aws-service-role/')) {
      throw new ApiError(
        'UnmodifiableEntity',
        `Cannot perform the operation on the protected role '${role.name}' - this role is only modifiable by AWS`,
      );
    }
    return role;
  }

  const iam: Record<string, Handler> = {
    GetRole(ctx) {
      validate(ctx.params, [roleNameRule]);
      return `<Role>${roleXml(roleFor(ctx))}</Role>`;
    },

    PutRolePolicy(ctx) {
      validate(ctx.params, [roleNameRule, policyNameRule, policyDocumentRule]);
      const { PolicyName: policyName = '', PolicyDocument: document = '' } = ctx.params;
      const role = writableRoleFor(ctx);
      checkPolicyGrammar(document);
      // The quota is on the sum of all inline policies of the role, whitespace not counted.
      let total = sizeWithoutWhitespace(document);
      for (const [name, other] of role.inline) if (name !== policyName) total += sizeWithoutWhitespace(other);
      if (total > ROLE_POLICY_SIZE_QUOTA) {
        throw new ApiError(
          'LimitExceeded',
          `Maximum policy size of ${ROLE_POLICY_SIZE_QUOTA} bytes exceeded for role ${role.name}`,
        );
      }
      writing(role);
      role.inline.set(policyName, document);
      return undefined;
    },

    GetRolePolicy(ctx) {
      validate(ctx.params, [roleNameRule, policyNameRule]);
      const role = roleFor(ctx);
      const name = ctx.params.PolicyName ?? '';
      const document = readable(role, ctx).inline.get(name);
      if (document === undefined) throw noSuchRolePolicy(name);
      // Real IAM returns policy documents URL-encoded (RFC 3986); the JS SDK does not decode them.
      return (
        el('RoleName', role.name) + el('PolicyName', name) + el('PolicyDocument', encodeRfc3986(document))
      );
    },

    DeleteRolePolicy(ctx) {
      validate(ctx.params, [roleNameRule, policyNameRule]);
      const role = writableRoleFor(ctx);
      const name = ctx.params.PolicyName ?? '';
      if (!role.inline.has(name)) throw noSuchRolePolicy(name);
      writing(role);
      role.inline.delete(name);
      return undefined;
    },

    ListRolePolicies(ctx) {
      validate(ctx.params, [roleNameRule, maxItemsRule]);
      const names = [...readable(roleFor(ctx), ctx).inline.keys()].sort();
      const page = paginate(names, ctx.params);
      return el('PolicyNames', page.items.map((n) => el('member', n)).join(''), true) + page.xml;
    },

    AttachRolePolicy(ctx) {
      validate(ctx.params, [roleNameRule, policyArnRule]);
      const role = writableRoleFor(ctx);
      const arn = ctx.params.PolicyArn ?? '';
      checkPolicyArn(arn);
      const policy = managedPolicies.get(arn);
      if (!policy) throw noSuchPolicy(arn);
      if (!policy.attachable) {
        // IAM's modelled error for this is PolicyNotAttachable (400); the message is the one real IAM gives when an
        // AWS service-role policy (IsAttachable false) is attached to an ordinary role.
        throw new ApiError('PolicyNotAttachable', 'Cannot attach a Service Role Policy to a Customer Role.');
      }
      if (role.attached.includes(arn)) {
        writing(role); // idempotent, as in IAM; still a write that reads may not have caught up with
        return undefined;
      }
      if (role.attached.length >= attachedPoliciesQuota) {
        throw new ApiError(
          'LimitExceeded',
          `Cannot exceed quota for PoliciesPerRole: ${attachedPoliciesQuota}`,
        );
      }
      writing(role);
      role.attached.push(arn);
      return undefined;
    },

    GetPolicy(ctx) {
      validate(ctx.params, [policyArnRule]);
      const arn = ctx.params.PolicyArn ?? '';
      checkPolicyArn(arn);
      const policy = managedPolicies.get(arn);
      if (!policy) throw noSuchPolicy(arn);
      // AttachmentCount counts the entities of the caller's account the policy is attached to.
      let attachments = 0;
      for (const r of roles.values())
        if (r.account === ctx.caller.account && r.attached.includes(arn)) attachments++;
      return el(
        'Policy',
        el('PolicyName', arn.slice(arn.lastIndexOf('/') + 1)) +
          el('PolicyId', policy.id) +
          el('Arn', arn) +
          el('Path', managedPolicyPath(arn)) +
          el('DefaultVersionId', 'v1') +
          el('AttachmentCount', String(attachments)) +
          el('PermissionsBoundaryUsageCount', '0') +
          el('IsAttachable', String(policy.attachable)) +
          el('CreateDate', MANAGED_POLICY_CREATED.toISOString()) +
          el('UpdateDate', MANAGED_POLICY_UPDATED.toISOString()),
        true,
      );
    },

    GetPolicyVersion(ctx) {
      validate(ctx.params, [policyArnRule, { key: 'VersionId', label: 'versionId', min: 0, max: 128 }]);
      const arn = ctx.params.PolicyArn ?? '';
      checkPolicyArn(arn);
      const policy = managedPolicies.get(arn);
      const versionId = ctx.params.VersionId ?? '';
      if (!policy) throw noSuchPolicy(arn);
      // Every policy here has one version, v1, its default.
      if (versionId !== 'v1')
        throw new ApiError(
          'NoSuchEntity',
          `Policy ${arn} version ${versionId} does not exist or is not attachable.`,
        );
      return el(
        'PolicyVersion',
        el('Document', encodeRfc3986(policy.document)) +
          el('VersionId', 'v1') +
          el('IsDefaultVersion', 'true') +
          el('CreateDate', MANAGED_POLICY_CREATED.toISOString()),
        true,
      );
    },

    PutRolePermissionsBoundary(ctx) {
      validate(ctx.params, [
        roleNameRule,
        { key: 'PermissionsBoundary', label: 'permissionsBoundary', min: 20, max: 2048 },
      ]);
      const role = writableRoleFor(ctx);
      const arn = ctx.params.PermissionsBoundary ?? '';
      checkPolicyArn(arn);
      if (!managedPolicies.has(arn)) throw noSuchPolicy(arn);
      role.boundary = arn;
      return undefined;
    },

    async SimulatePrincipalPolicy(ctx) {
      validate(ctx.params, [{ key: 'PolicySourceArn', label: 'policySourceArn', min: 20, max: 2048 }]);
      const source = ctx.params.PolicySourceArn ?? '';
      const actions = memberList(ctx.params, 'ActionNames');
      if (actions.length === 0)
        throw validationError([
          `Value null at 'actionNames' failed to satisfy constraint: Member must not be null`,
        ]);
      const role = findRoleByArn(source);
      if (!role || role.account !== ctx.caller.account)
        throw new ApiError('NoSuchEntity', `The role with ARN ${source} cannot be found.`);
      const inputs = memberList(ctx.params, 'PolicyInputList');
      for (const doc of inputs) checkPolicyGrammar(doc);
      // The simulator reads the role's policies as other reads do: it may lag behind a write (eventual consistency).
      const state = readable(role, ctx);
      const managed = (arn: string): SimulationPolicy | undefined => {
        const policy = managedPolicies.get(arn);
        return (
          policy && {
            id: arn.slice(arn.lastIndexOf('/') + 1),
            type: accountOfPolicyArn(arn) === 'aws' ? 'aws-managed' : 'user-managed',
            document: policy.document,
          }
        );
      };
      const identity: SimulationPolicy[] = [
        ...[...state.inline].map(([name, document]): SimulationPolicy => ({
          id: name,
          type: 'role',
          document,
        })),
        ...state.attached.flatMap((arn) => managed(arn) ?? []),
        ...inputs.map((document, i): SimulationPolicy => ({
          id: `PolicyInputList.${i + 1}`,
          type: 'none',
          document,
        })),
      ];
      try {
        return await simulatePrincipal({
          principalArn: role.arn,
          account: role.account,
          identity,
          boundary: role.boundary === undefined ? undefined : managed(role.boundary),
          scps: scpsByAccount
            .get(role.account)
            ?.map((document, i): SimulationPolicy => ({ id: `scp-${i + 1}`, type: 'none', document })),
          actions,
          resources: memberList(ctx.params, 'ResourceArns'),
        });
      } catch (error) {
        if (error instanceof SimulationInputError) throw new ApiError('InvalidInput', error.message);
        throw error;
      }
    },

    DetachRolePolicy(ctx) {
      validate(ctx.params, [roleNameRule, policyArnRule]);
      const role = writableRoleFor(ctx);
      const arn = ctx.params.PolicyArn ?? '';
      checkPolicyArn(arn);
      const index = role.attached.indexOf(arn);
      if (index < 0) throw new ApiError('NoSuchEntity', `Policy ${arn} was not found.`);
      writing(role);
      role.attached.splice(index, 1);
      return undefined;
    },

    ListAttachedRolePolicies(ctx) {
      validate(ctx.params, [roleNameRule, maxItemsRule]);
      const prefix = ctx.params.PathPrefix ?? '/';
      const arns = readable(roleFor(ctx), ctx).attached.filter((arn) =>
        managedPolicyPath(arn).startsWith(prefix),
      );
      const page = paginate(arns, ctx.params);
      const members = page.items
        .map((arn) =>
          el('member', el('PolicyArn', arn) + el('PolicyName', arn.slice(arn.lastIndexOf('/') + 1)), true),
        )
        .join('');
      return el('AttachedPolicies', members, true) + page.xml;
    },

    GetAccountSummary(ctx) {
      const roleCount = [...roles.values()].filter((r) => r.account === ctx.caller.account).length;
      const summary: Record<string, number> = {
        ...ACCOUNT_SUMMARY,
        AttachedPoliciesPerRoleQuota: attachedPoliciesQuota,
        RolePolicySizeQuota: ROLE_POLICY_SIZE_QUOTA,
        Roles: roleCount,
      };
      const entries = Object.entries(summary)
        .map(([key, value]) => el('entry', el('key', key) + el('value', String(value)), true))
        .join('');
      return el('SummaryMap', entries, true);
    },
  };

  const sts: Record<string, Handler> = {
    GetCallerIdentity(ctx) {
      return el('Arn', ctx.caller.arn) + el('UserId', ctx.caller.userId) + el('Account', ctx.caller.account);
    },

    AssumeRole(ctx) {
      const p = ctx.params;
      validate(p, [
        { key: 'RoleArn', label: 'roleArn', min: 20, max: 2048 },
        { key: 'RoleSessionName', label: 'roleSessionName', min: 2, max: 64, pattern: NAME_PATTERN_TEXT },
        {
          key: 'SourceIdentity',
          label: 'sourceIdentity',
          min: 2,
          max: 64,
          pattern: NAME_PATTERN_TEXT,
          optional: true,
        },
        {
          key: 'ExternalId',
          label: 'externalId',
          min: 2,
          max: 1224,
          pattern: '[\\w+=,.@:\\/-]*',
          optional: true,
        },
      ]);
      const roleArn = p.RoleArn ?? '';
      const sessionName = p.RoleSessionName ?? '';
      if (!parseRoleArn(roleArn)) throw new ApiError('ValidationError', `${roleArn} is invalid`);
      const role = findRoleByArn(roleArn);
      if (!role) {
        // STS does not say whether the role exists: a missing role looks like a trust policy refusal.
        throw new ApiError(
          'AccessDenied',
          `User: ${ctx.caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        );
      }
      const duration = p.DurationSeconds === undefined ? 3600 : Number(p.DurationSeconds);
      if (!Number.isInteger(duration) || duration < 900) {
        throw validationError([
          `Value '${p.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
        ]);
      }
      if (duration > role.maxSessionDuration) {
        throw new ApiError(
          'ValidationError',
          `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
        );
      }
      const session: Session = {
        accessKeyId: `ASIA${randomId(16)}`,
        account: role.account,
        roleArn: role.arn,
        sessionName,
        sourceIdentity: p.SourceIdentity,
        externalId: p.ExternalId,
        expiration: new Date(Date.now() + duration * 1000),
        sessionToken: randomBytes(96).toString('base64'),
        assumedRoleId: `${role.id}:${sessionName}`,
        callerArn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`,
      };
      sessions.set(session.accessKeyId, session);
      const credentials =
        el('AccessKeyId', session.accessKeyId) +
        el('SecretAccessKey', randomBytes(30).toString('base64')) +
        el('SessionToken', session.sessionToken) +
        el('Expiration', session.expiration.toISOString());
      return (
        (session.sourceIdentity === undefined ? '' : el('SourceIdentity', session.sourceIdentity)) +
        el(
          'AssumedRoleUser',
          el('AssumedRoleId', session.assumedRoleId) + el('Arn', session.callerArn),
          true,
        ) +
        el('Credentials', credentials, true)
      );
    },
  };

  /** Who is calling: static keys act in the default account, AssumeRole keys in the assumed role's account. */
  function authenticate(req: IncomingMessage, accessKeyId: string | undefined): Caller {
    if (accessKeyId === undefined) {
      throw new ApiError('MissingAuthenticationToken', 'Request is missing Authentication Token');
    }
    const session = sessions.get(accessKeyId);
    if (!session) {
      if (accessKeyId.startsWith('ASIA')) {
        throw new ApiError('InvalidClientTokenId', 'The security token included in the request is invalid.');
      }
      return defaultCaller;
    }
    if (req.headers['x-amz-security-token'] !== session.sessionToken) {
      throw new ApiError('InvalidClientTokenId', 'The security token included in the request is invalid.');
    }
    if (session.expiration.getTime() <= Date.now()) {
      throw new ApiError('ExpiredToken', 'The security token included in the request is expired');
    }
    return { account: session.account, arn: session.callerArn, userId: session.assumedRoleId };
  }

  function authenticateOrError(req: IncomingMessage, accessKeyId: string | undefined): Caller | ApiError {
    try {
      return authenticate(req, accessKeyId);
    } catch (err) {
      return err instanceof ApiError ? err : new ApiError('ServiceFailure', String(err));
    }
  }

  /** The first pending hold this call matches, taken off the list; holds are claimed in arrival order. */
  function claimHold(call: EmulatorCall): Hold | undefined {
    const index = pendingHolds.findIndex((h) => h.action === call.action && h.matches(call.params, call));
    return index < 0 ? undefined : pendingHolds.splice(index, 1)[0];
  }

  /** Waits, with no timeout, until the hold is released; returns the ms spent held. */
  async function waitForRelease(hold: Hold, call: EmulatorCall): Promise<number> {
    if (hold.isReleased) {
      hold.reached(call);
      return 0;
    }
    activeHolds.add(hold);
    const start = performance.now();
    hold.reached(call);
    await hold.released;
    return performance.now() - start;
  }

  function newHold(
    action: string,
    predicate: (params: Record<string, string>, call: EmulatorCall) => boolean,
  ): HeldCall {
    let reached!: (call: EmulatorCall) => void;
    let resolveReleased!: () => void;
    const reachedPromise = new Promise<EmulatorCall>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (resolveReleased = resolve));
    const hold: Hold = {
      action,
      matches: predicate,
      reached,
      released,
      isReleased: false,
      release() {
        hold.isReleased = true;
        activeHolds.delete(hold);
        resolveReleased();
      },
    };
    pendingHolds.push(hold);
    return { reached: reachedPromise, release: hold.release };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const start = performance.now();
    const requestId = randomUUID();
    const body = await readBody(req);
    const form = new URLSearchParams(body);
    for (const [k, v] of new URL(req.url ?? '/', 'http://localhost').searchParams) form.append(k, v);
    const action = form.get('Action') ?? '';
    const version = form.get('Version') ?? '';
    const params: Record<string, string> = {};
    for (const [k, v] of form) if (k !== 'Action' && k !== 'Version') params[k] = v;
    const auth = parseAuthorization(req.headers.authorization);
    const service: 'iam' | 'sts' =
      auth.service === 'iam' || auth.service === 'sts'
        ? auth.service
        : Object.hasOwn(sts, action)
          ? 'sts'
          : 'iam';
    const fence = req.headers[FENCE_HEADER];
    const call: EmulatorCall = {
      service,
      action,
      params,
      accessKeyId: auth.accessKeyId,
      sessionName: auth.accessKeyId === undefined ? undefined : sessions.get(auth.accessKeyId)?.sessionName,
      fence: typeof fence === 'string' ? fence : undefined,
      requestId,
      status: 0,
    };
    calls.push(call);

    let status = 200;
    let xml: string;
    let heldMs = 0;
    try {
      // Settled on arrival, in arrival order: the hold and the queued fault this call gets, and who is calling (so a
      // session that expires while the call is held does not fail it).
      const hold = claimHold(call);
      const fault = faults.get(action)?.shift();
      const caller = authenticateOrError(req, auth.accessKeyId);
      if (latencyMs > 0) await delay(latencyMs);
      // Everything from here on (validation, state change, answer) happens only once the hold is released.
      if (hold) heldMs = await waitForRelease(hold, call);
      if (fault) throw new ApiError(fault.code, fault.message, fault.status);
      const table = service === 'iam' ? iam : sts;
      const handler = Object.hasOwn(table, action) ? table[action] : undefined;
      if (!handler || version !== VERSIONS[service]) {
        throw new ApiError(
          'InvalidAction',
          `Could not find operation ${action} for version ${version || 'NO_VERSION_SPECIFIED'}`,
        );
      }
      if (caller instanceof ApiError) throw caller;
      const result = await handler({ params, caller, call });
      xml = successXml(service, action, result, requestId);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError('ServiceFailure', String(err));
      status = e.status;
      xml = errorXml(service, e, requestId);
    }
    call.status = status;
    res.writeHead(status, {
      'content-type': 'text/xml',
      'x-amzn-RequestId': requestId,
      'content-length': Buffer.byteLength(xml),
    });
    res.end(xml);
    totalHandlingMs += performance.now() - start - heldMs;
  }

  // requestTimeout 0: Node's only server-side limit on a request in progress. (It covers receiving the request, which
  // is complete before a call is held, so a held call can wait indefinitely either way; 0 makes that explicit.)
  const server = createServer({ requestTimeout: 0 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only reachable if the socket broke while reading the body: nothing sensible to answer.
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  function releaseAllHolds(): void {
    for (const h of [...activeHolds]) h.release();
    for (const h of pendingHolds) h.release();
    pendingHolds = [];
  }

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    accountId,
    get totalHandlingMs() {
      return totalHandlingMs;
    },

    addRole(name, o = {}) {
      const account = o.account ?? accountId;
      const path = o.path ?? '/';
      if (!/^\d{12}$/.test(account)) throw new Error(`account must be 12 digits: ${account}`);
      if (!NAME_PATTERN.test(name) || name.length > 64) throw new Error(`invalid role name: ${name}`);
      if (!/^(\/|\/[\u0021-\u007E]+\/)$/.test(path) || path.length > 512)
        throw new Error(`invalid path: ${path}`);
      const key = roleKey(account, name);
      if (roles.has(key)) throw new Error(`role ${name} already exists in ${account}`);
      const arn = `arn:aws:iam::${account}:role${path}${name}`;
      roles.set(key, {
        account,
        path,
        name,
        arn,
        id: `AROA${randomId(17)}`,
        created: new Date(),
        trustPolicy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${accountId}:root` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
        maxSessionDuration: 3600,
        inline: new Map(),
        attached: [],
      });
      return arn;
    },

    removeRole(arn) {
      const role = findRoleByArn(arn);
      if (role) {
        roles.delete(roleKey(role.account, role.name));
        consistency.delete(role);
      }
    },

    role(arn) {
      return findRoleByArn(arn);
    },

    queueFault(action, fault, times = 1) {
      const queue = faults.get(action) ?? [];
      for (let i = 0; i < times; i++) queue.push(fault);
      faults.set(action, queue);
    },

    hold(action) {
      return newHold(action, () => true);
    },

    holdNext(action, predicate = () => true) {
      return newHold(action, predicate);
    },

    heldCount() {
      return activeHolds.size;
    },

    setPolicyAttachable(arn, attachable) {
      const policy = managedPolicies.get(arn);
      if (!policy) throw new Error(`not a known managed policy: ${arn}`);
      policy.attachable = attachable;
    },

    removeManagedPolicy(arn) {
      managedPolicies.delete(arn);
    },

    setServiceControlPolicies(account, documents) {
      if (documents === undefined) scpsByAccount.delete(account);
      else scpsByAccount.set(account, [...documents]);
    },

    addManagedPolicy(name, document, o = {}) {
      const arn = `arn:aws:iam::${o.account ?? accountId}:policy/${name}`;
      if (managedPolicies.has(arn)) throw new Error(`policy ${arn} already exists`);
      checkPolicyGrammar(document);
      managedPolicies.set(arn, { id: `ANPA${randomId(17)}`, attachable: true, document });
      return arn;
    },

    callsOf(action) {
      return calls.filter((c) => c.action === action);
    },

    sessionOf(accessKeyId) {
      const s = sessions.get(accessKeyId);
      if (!s) return undefined;
      const { accessKeyId: id, account, roleArn, sessionName, sourceIdentity, externalId, expiration } = s;
      return { accessKeyId: id, account, roleArn, sessionName, sourceIdentity, externalId, expiration };
    },

    setLatency(ms) {
      latencyMs = ms;
    },

    setReadLag(lag) {
      if (lag === undefined) {
        readLag = undefined;
        for (const [role, c] of consistency) {
          if (c.never) c.lagging = [];
          else consistency.delete(role);
        }
        return;
      }
      const reads = lag.reads ?? 0;
      const ms = lag.ms ?? 0;
      if (!Number.isInteger(reads) || reads < 0)
        throw new Error(`reads must be a whole number ≥ 0: ${reads}`);
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`ms must be a finite number ≥ 0: ${ms}`);
      readLag = reads === 0 && ms === 0 ? undefined : { reads, ms };
    },

    setNeverConsistent(arn, never = true) {
      const role = findRoleByArn(arn);
      if (!role) throw new Error(`no such role: ${arn}`);
      if (never) {
        const c = consistency.get(role);
        if (c) c.never = true;
        else consistency.set(role, { lagging: [], never: true });
      } else {
        consistency.delete(role);
      }
    },

    reset() {
      calls.length = 0;
      faults.clear();
      releaseAllHolds();
      roles.clear();
      restoreManagedPolicies();
      latencyMs = 0;
      readLag = undefined;
      consistency.clear();
      scpsByAccount.clear();
      totalHandlingMs = 0;
    },

    async close() {
      releaseAllHolds();
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // SDK clients keep connections alive: drop them or close() waits for their idle timeout.
        server.closeAllConnections();
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Validation, as IAM/STS do it (messages follow the real services' wording).

interface Rule {
  key: string;
  label: string;
  min: number;
  max: number;
  pattern?: string;
  optional?: boolean;
}

const roleNameRule: Rule = {
  key: 'RoleName',
  label: 'roleName',
  min: 1,
  max: 64,
  pattern: NAME_PATTERN_TEXT,
};
const policyNameRule: Rule = {
  key: 'PolicyName',
  label: 'policyName',
  min: 1,
  max: 128,
  pattern: NAME_PATTERN_TEXT,
};
const policyArnRule: Rule = { key: 'PolicyArn', label: 'policyArn', min: 20, max: 2048 };
const policyDocumentRule: Rule = {
  key: 'PolicyDocument',
  label: 'policyDocument',
  min: 1,
  max: 131_072,
  pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+',
};
const maxItemsRule: Rule = { key: 'MaxItems', label: 'maxItems', min: 0, max: 0, optional: true };

function validate(params: Record<string, string>, rules: Rule[]): void {
  const problems: string[] = [];
  for (const rule of rules) {
    const value = params[rule.key];
    if (value === undefined) {
      if (!rule.optional)
        problems.push(`Value null at '${rule.label}' failed to satisfy constraint: Member must not be null`);
      continue;
    }
    if (rule === maxItemsRule) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 1000) {
        problems.push(
          `Value '${value}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`,
        );
      }
      continue;
    }
    const shown = rule.key === 'PolicyDocument' ? '' : ` '${value}'`;
    const length = [...value].length;
    if (length < rule.min) {
      problems.push(
        `Value${shown} at '${rule.label}' failed to satisfy constraint: Member must have length greater than or equal to ${rule.min}`,
      );
    }
    if (length > rule.max) {
      problems.push(
        `Value${shown} at '${rule.label}' failed to satisfy constraint: Member must have length less than or equal to ${rule.max}`,
      );
    }
    if (rule.pattern && value !== '' && !new RegExp(`^(?:${rule.pattern})$`).test(value)) {
      problems.push(
        `Value${shown} at '${rule.label}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${rule.pattern}`,
      );
    }
  }
  if (problems.length > 0) throw validationError(problems);
}

function validationError(problems: string[]): ApiError {
  const n = problems.length;
  return new ApiError(
    'ValidationError',
    `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.join('; ')}`,
  );
}

function checkPolicyArn(arn: string): void {
  if (!/^arn:aws[\w-]*:iam::(aws|\d{12}):policy\/.+/.test(arn))
    throw new ApiError('InvalidInput', `ARN ${arn} is not valid.`);
}

/** The IAM grammar checks that matter for identity-based policies (MalformedPolicyDocument). */
function checkPolicyGrammar(document: string): void {
  const malformed = (message: string): ApiError => new ApiError('MalformedPolicyDocument', message);
  let policy: unknown;
  try {
    policy = JSON.parse(document);
  } catch {
    throw malformed('Syntax errors in policy.');
  }
  if (!isObject(policy)) throw malformed('Syntax errors in policy.');
  if (policy.Version !== undefined && policy.Version !== '2012-10-17' && policy.Version !== '2008-10-17') {
    throw malformed('The policy failed legacy parsing');
  }
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  if (policy.Statement === undefined || statements.length === 0) throw malformed('Syntax errors in policy.');
  const sids = new Set<string>();
  for (const s of statements) {
    if (!isObject(s)) throw malformed('Syntax errors in policy.');
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw malformed('Syntax errors in policy.');
    if (s.Sid !== undefined) {
      if (typeof s.Sid !== 'string' || !/^[0-9A-Za-z]*$/.test(s.Sid)) {
        throw malformed(
          'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*',
        );
      }
      if (sids.has(s.Sid)) throw malformed('Statement IDs (SID) in a single policy must be unique.');
      sids.add(s.Sid);
    }
    if (s.Principal !== undefined || s.NotPrincipal !== undefined) {
      throw malformed('Policy document should not specify a principal.');
    }
    const actions = s.Action ?? s.NotAction;
    if (actions === undefined) throw malformed('Policy statement must contain actions.');
    for (const a of stringList(actions)) {
      if (a === undefined) throw malformed('Syntax errors in policy.');
      if (a !== '*' && !/^[a-zA-Z0-9-]+:[\w*?-]+$/.test(a)) {
        throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
      }
    }
    const resources = s.Resource ?? s.NotResource;
    if (resources === undefined) throw malformed('Policy statement must contain resources.');
    for (const r of stringList(resources)) {
      if (r === undefined) throw malformed('Syntax errors in policy.');
      if (r !== '*' && !r.startsWith('arn:')) throw malformed(`Resource ${r} must be in ARN format or "*".`);
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string or a list of strings; undefined marks an element of the wrong type. */
function stringList(v: unknown): (string | undefined)[] {
  const list = Array.isArray(v) ? (v as unknown[]) : [v];
  return list.map((x) => (typeof x === 'string' ? x : undefined));
}

/** Characters that count against IAM's size quotas: whitespace outside strings does not. */
export function sizeWithoutWhitespace(document: string): number {
  let size = 0;
  let inString = false;
  let escaped = false;
  for (const ch of document) {
    if (inString) {
      size++;
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
    } else if (!/\s/.test(ch)) {
      size++;
      if (ch === '"') inString = true;
    }
  }
  return size;
}

// ---------------------------------------------------------------------------------------------------
// Wire format.

function successXml(
  service: 'iam' | 'sts',
  action: string,
  result: string | undefined,
  requestId: string,
): string {
  const ns = service === 'iam' ? IAM_NS : STS_NS;
  const resultXml = result === undefined ? '' : `<${action}Result>${result}</${action}Result>`;
  return (
    `<${action}Response xmlns="${ns}">${resultXml}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

function errorXml(service: 'iam' | 'sts', e: ApiError, requestId: string): string {
  const ns = service === 'iam' ? IAM_NS : STS_NS;
  const type = e.status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<ErrorResponse xmlns="${ns}"><Error>${el('Type', type)}${el('Code', e.code)}${el('Message', e.message)}</Error>` +
    `${el('RequestId', requestId)}</ErrorResponse>`
  );
}

/** One XML element; `raw` content is already XML. */
function el(name: string, content: string, raw = false): string {
  return `<${name}>${raw ? content : escapeXml(content)}</${name}>`;
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** RFC 3986 percent-encoding, as IAM applies to the policy documents it returns (`*` becomes `%2A`). */
function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function roleXml(role: Role): string {
  return (
    el('Path', role.path) +
    el('AssumeRolePolicyDocument', encodeRfc3986(role.trustPolicy)) +
    el('MaxSessionDuration', String(role.maxSessionDuration)) +
    el('RoleId', role.id) +
    '<RoleLastUsed/>' +
    el('RoleName', role.name) +
    el('Arn', role.arn) +
    (role.boundary === undefined
      ? ''
      : el(
          'PermissionsBoundary',
          el('PermissionsBoundaryType', 'Policy') + el('PermissionsBoundaryArn', role.boundary),
          true,
        )) +
    el('CreateDate', role.created.toISOString())
  );
}

function paginate<T>(items: T[], params: Record<string, string>): { items: T[]; xml: string } {
  const max = params.MaxItems === undefined ? 100 : Number(params.MaxItems);
  let offset = 0;
  if (params.Marker !== undefined) {
    offset = Number(Buffer.from(params.Marker, 'base64').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) throw new ApiError('ValidationError', 'Invalid Marker.');
  }
  const page = items.slice(offset, offset + max);
  const truncated = offset + max < items.length;
  const marker = truncated ? el('Marker', Buffer.from(String(offset + max)).toString('base64')) : '';
  return { items: page, xml: el('IsTruncated', String(truncated)) + marker };
}

/** `Name.member.1`, `Name.member.2`, … in order, as the Query protocol sends a list. */
function memberList(params: Record<string, string>, name: string): string[] {
  const list: string[] = [];
  for (let i = 1; params[`${name}.member.${i}`] !== undefined; i++) list.push(params[`${name}.member.${i}`]!);
  return list;
}

/** `aws` for an AWS managed policy, else the account ID. */
function accountOfPolicyArn(arn: string): string | undefined {
  return /^arn:aws[\w-]*:iam::(aws|\d{12}):policy\//.exec(arn)?.[1];
}

function noSuchPolicy(arn: string): ApiError {
  return new ApiError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
}

function noSuchRolePolicy(name: string): ApiError {
  return new ApiError('NoSuchEntity', `The role policy with name ${name} cannot be found.`);
}

/** `arn:aws:iam::aws:policy/service-role/X` → `/service-role/` */
function managedPolicyPath(arn: string): string {
  const resource = arn.slice(arn.indexOf(':policy') + ':policy'.length);
  return resource.slice(0, resource.lastIndexOf('/') + 1);
}

function parseRoleArn(arn: string): { account: string; path: string; name: string } | undefined {
  const m = /^arn:aws[\w-]*:iam::(\d{12}):role(\/(?:[\u0021-\u007E]*\/)?)([\w+=,.@-]{1,64})$/.exec(arn);
  if (!m) return undefined;
  const [, account = '', path = '/', name = ''] = m;
  return { account, path, name };
}

function accountOfArn(arn: string | undefined): string | undefined {
  return arn === undefined ? undefined : /^arn:aws[\w-]*:(?:sts|iam)::(\d{12}):/.exec(arn)?.[1];
}

/** STS's UserId: `AROA…:session` for an assumed role, `AIDA…` for a user. */
function userIdFor(arn: string): string {
  const session = /:assumed-role\/[^/]+\/(.+)$/.exec(arn)?.[1];
  return session === undefined ? `AIDA${randomId(17)}` : `AROA${randomId(17)}:${session}`;
}

/** `Credential=AKID/20260101/us-east-1/iam/aws4_request` → access key and service. */
function parseAuthorization(header: string | undefined): { accessKeyId?: string; service?: string } {
  const m = /Credential=([^/,\s]+)\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(header ?? '');
  return m ? { accessKeyId: m[1], service: m[2] } : {};
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function randomId(length: number): string {
  return [...randomBytes(length)].map((b) => ID_ALPHABET[b % 32]).join('');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Typical values of a fresh account; the quotas the bot reads are filled in per call. */
const ACCOUNT_SUMMARY: Record<string, number> = {
  AccessKeysPerUserQuota: 2,
  AccountAccessKeysPresent: 0,
  AccountMFAEnabled: 0,
  AccountSigningCertificatesPresent: 0,
  AssumeRolePolicySizeQuota: 2048,
  AttachedPoliciesPerGroupQuota: 10,
  AttachedPoliciesPerUserQuota: 10,
  GlobalEndpointTokenVersion: 1,
  GroupPolicySizeQuota: 5120,
  Groups: 0,
  GroupsPerUserQuota: 10,
  GroupsQuota: 300,
  InstanceProfiles: 0,
  InstanceProfilesQuota: 1000,
  MFADevices: 0,
  MFADevicesInUse: 0,
  Policies: 0,
  PoliciesQuota: 1500,
  PolicySizeQuota: 6144,
  PolicyVersionsInUse: 0,
  PolicyVersionsInUseQuota: 10000,
  Providers: 0,
  RolesQuota: 1000,
  ServerCertificates: 0,
  ServerCertificatesQuota: 20,
  SigningCertificatesPerUserQuota: 2,
  UserPolicySizeQuota: 2048,
  Users: 0,
  UsersQuota: 5000,
  VersionsPerPolicyQuota: 5,
};
