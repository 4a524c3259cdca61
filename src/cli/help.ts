import { DOC_REVISION } from '../policy';

/** `cases-access --help`. */
export const CLI_HELP = `cases-access — the Amazon Connect Cases IAM permissions AWS documents, least privilege

Usage:
  cases-access policy <view|onboard> [--managed] [--account <12 digits>]
                      [--instance <uuid or instance ARN> [--region <region>]] [--json | --document]
  cases-access bot-policy [--account <12 digits>] [--allowed-roles <patterns>]
                      [--bot-role-name <name>] [--require-boundary <policy ARN>]
                      [--cross-account-role-name <name>] [--json]
  cases-access audit export [--since <ISO date>]
  cases-access audit verify
  cases-access rules check [--file <path>]
  cases-access rules explain <role ARN> <view|onboard> [--managed] [--file <path>]
  cases-access --help

Commands:
  policy view      permissions to view Cases domain details in the Amazon Connect console
  policy onboard   permissions to onboard an Amazon Connect instance to Cases
  bot-policy       the IAM policy the bot's own role needs, and nothing more
  audit export     the bot's event log as JSON lines, oldest first (reads DATABASE_URL, or .env)
  audit verify     walk the log's hash chain: "ok" and the count, or the first event that does
                   not match (exit 1)
  rules check      validate the approval rules (ACCESS_RULES, or --file <path>) and print, per rule,
                   who may request, who approves and how many, where the card goes (exit 1 if invalid)
  rules explain    which rule would decide such a request, and why the ones before it do not

Options of policy:
  --managed              Option 2 of the AWS page: an AWS managed policy plus a small inline policy
                         (default: Option 1, one inline policy with the minimum permissions)
  --account <id>         the 12-digit account of the role that gets the policy; narrows
                         iam:PutRolePolicy to that account's Amazon Connect service-linked role
                         (without it the documented "arn:aws:iam::*:role/..." stays)
  --instance <id|ARN>    narrow connect:ListIntegrationAssociations, connect:DescribeInstance and
                         connect:CreateIntegrationAssociation to one Amazon Connect instance: an
                         instance ID, or an instance ARN (its region, account and partition)
  --region <region>      the instance's region, for an instance ID (default: AWS_REGION)
  --json                 print one JSON object:
                         {"task","option","policyName","document","managedPolicyArns","sha256"}
  --document             print only the policy document, as compact JSON (the text the bot writes;
                         for aws iam put-role-policy --policy-document)
  -h, --help             this text

Options of bot-policy:
  --account <id>         the 12-digit account of the bot's role; a pattern whose account is "*"
                         is narrowed to it (the bot's own credentials reach IAM there only).
                         Default: the one account the patterns name
  --allowed-roles <p,…>  the value of ALLOWED_ROLES: comma-separated role ARN patterns, "*"
                         matching any run of characters (IAM's "*" means the same). Default:
                         ALLOWED_ROLES from the environment or .env (said on stderr); a
                         "role/*" pattern is warned about
  --bot-role-name <name> the name of the role the bot runs as (in a target account: the
                         cross-account role); every write on it is denied, whatever the patterns match
  --require-boundary <policy ARN>
                         writes (put, delete, attach, detach) only on roles whose permissions
                         boundary is that managed policy; recommended in production
  --cross-account-role-name <name>
                         also allow sts:AssumeRole and sts:SetSourceIdentity on that role name in
                         the other accounts the patterns name (each pattern must name its account),
                         and deny every write on that role name
  --json                 print only the policy document, as compact canonical JSON

Exit status: 0 on success, 1 when audit verify finds a mismatch or rules check finds a problem, 2 on
bad arguments.
Source: ${DOC_REVISION.source} (revision ${DOC_REVISION.latest}; ${DOC_REVISION.note})
`;
