import { parseArgs } from 'node:util';
import { parseInstanceText } from '../access/command';
import { ACCOUNT_ID, INSTANCE_ID, REGION, TASKS } from '../policy';
import type { PlanRequest, Task } from '../policy';
import { UsageError, usageFromParseError } from './usage';

/** `policy <task> …`: the plan to print, and how. */
export interface PolicyArgs {
  request: PlanRequest;
  /** `--json`: the plan as one object; `--document`: the policy document alone; else for people. */
  output: 'json' | 'document' | 'people';
}

export function parsePolicyArgs(args: string[], env: NodeJS.ProcessEnv): PolicyArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        managed: { type: 'boolean' },
        account: { type: 'string' },
        instance: { type: 'string' },
        region: { type: 'string' },
        json: { type: 'boolean' },
        document: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw usageFromParseError(error);
  }
  const { values, positionals } = parsed;
  const [task, ...extra] = positionals;
  if (task === undefined) throw new UsageError('policy needs a task: view or onboard');
  if (!(TASKS as readonly string[]).includes(task))
    throw new UsageError(`unknown task "${task}": use view or onboard`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (values.json && values.document) throw new UsageError('--json and --document: choose one');
  if (values.account !== undefined && !ACCOUNT_ID.test(values.account))
    throw new UsageError(`--account "${values.account}" is not a 12-digit AWS account ID`);
  if (values.region !== undefined && values.instance === undefined)
    throw new UsageError('--region is only used with --instance');
  if (values.region !== undefined && !REGION.test(values.region))
    throw new UsageError(`--region "${values.region}" is not an AWS region such as us-east-1`);
  const request: PlanRequest = {
    task: task as Task,
    option: values.managed ? 'managed' : 'minimal',
    accountId: values.account,
  };
  if (values.instance !== undefined) Object.assign(request, instanceScope(values, env));
  return { request, output: values.json ? 'json' : values.document ? 'document' : 'people' };
}

/**
 * `--instance` as the slash command takes it: an instance ID (region from --region, else AWS_REGION) or an instance
 * ARN (its region, account and partition; --region and --account must agree with it).
 */
function instanceScope(
  values: { instance?: string; region?: string; account?: string },
  env: NodeJS.ProcessEnv,
): Pick<PlanRequest, 'instance' | 'accountId' | 'partition'> {
  const text = values.instance ?? '';
  const parsed = parseInstanceText(text);
  if (parsed === undefined || !INSTANCE_ID.test(parsed.instanceId))
    throw new UsageError(
      `--instance "${text}" is not an Amazon Connect instance ID (a UUID) or instance ARN`,
    );
  if (parsed.region !== undefined) {
    if (values.region !== undefined && values.region !== parsed.region)
      throw new UsageError(
        `--region ${values.region} differs from the instance ARN's region ${parsed.region}`,
      );
    if (values.account !== undefined && values.account !== parsed.accountId)
      throw new UsageError(
        `--account ${values.account} differs from the instance ARN's account ${parsed.accountId}`,
      );
    return {
      instance: { instanceId: parsed.instanceId, region: parsed.region },
      accountId: parsed.accountId,
      partition: /^arn:([^:]+):/.exec(text)?.[1],
    };
  }
  const region = values.region ?? env.AWS_REGION?.trim();
  if (!region)
    throw new UsageError('--instance needs --region <region> (or AWS_REGION), the instance’s region');
  if (!REGION.test(region))
    throw new UsageError(`AWS_REGION "${region}" is not an AWS region such as us-east-1`);
  return { instance: { instanceId: parsed.instanceId, region }, accountId: values.account };
}
