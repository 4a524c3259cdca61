import type { PolicyOption, PolicyStatement, Task } from './types';

/**
 * The permission sets of the AWS page "Required permissions for using custom IAM policies to manage
 * Amazon Connect Cases", transcribed statement by statement. Nothing else may ever be written to IAM.
 */
export const DOC_REVISION = {
  source: 'https://docs.aws.amazon.com/connect/latest/adminguide/required-permissions-iam-cases.html',
  latest: '000_2b56623e0d518e2c',
  earlier: '001_d91da884c19791e1',
  note: 'The latest revision adds profile:SearchProfiles to onboarding (CreateCase calls SearchProfiles); the earlier one lacked it.',
} as const;

export const MANAGED_POLICY = {
  readOnly: 'arn:aws:iam::aws:policy/AmazonConnectReadOnlyAccess',
  fullAccess: 'arn:aws:iam::aws:policy/AmazonConnect_FullAccess',
} as const;

/** The only managed policies the bot may attach. */
export const ALLOWED_MANAGED_POLICY_ARNS: readonly string[] = Object.values(MANAGED_POLICY);

export const SERVICE_LINKED_ROLE_ARN_PATTERN =
  'arn:aws:iam::*:role/aws-service-role/connect.amazonaws.com/AWSServiceRoleForAmazonConnect*';

const viewConsole: PolicyStatement = {
  Sid: 'AllowsViewingConnectConsole',
  Effect: 'Allow',
  Action: ['connect:ListInstances', 'ds:DescribeDirectories'],
  Resource: '*',
};
const listIntegrationAssociations: PolicyStatement = {
  Sid: 'ListIntegrationAssociations',
  Effect: 'Allow',
  Action: ['connect:ListIntegrationAssociations'],
  Resource: '*',
};
const casesGetDomain: PolicyStatement = {
  Sid: 'CasesGetDomain',
  Effect: 'Allow',
  Action: ['cases:GetDomain'],
  Resource: '*',
};
const casesCreateDomain: PolicyStatement = {
  Sid: 'CasesCreateDomain',
  Effect: 'Allow',
  Action: ['cases:CreateDomain'],
  Resource: '*',
};
const createIntegrationAssociations: PolicyStatement = {
  Sid: 'CreateIntegrationAssociationsAndDependencies',
  Effect: 'Allow',
  Action: ['connect:CreateIntegrationAssociation', 'connect:DescribeInstance'],
  Resource: '*',
};
const putServiceLinkedRolePolicy: PolicyStatement = {
  Sid: 'AttachAnyPolicyToAmazonConnectRole',
  Effect: 'Allow',
  Action: 'iam:PutRolePolicy',
  Resource: SERVICE_LINKED_ROLE_ARN_PATTERN,
};
const profileSearchProfiles: PolicyStatement = {
  Sid: 'ProfileSearchProfiles',
  Effect: 'Allow',
  Action: ['profile:SearchProfiles'],
  Resource: '*',
};

export interface CatalogEntry {
  /** What the doc calls it, for people reading a card or the CLI. */
  title: string;
  statements: readonly PolicyStatement[];
  managedPolicyArns: readonly string[];
}

export const CATALOG: Readonly<Record<Task, Readonly<Record<PolicyOption, CatalogEntry>>>> = {
  view: {
    minimal: {
      title: 'View Cases domain details — Option 1: minimum required IAM permissions',
      statements: [viewConsole, listIntegrationAssociations, casesGetDomain],
      managedPolicyArns: [],
    },
    managed: {
      title: 'View Cases domain details — Option 2: AmazonConnectReadOnlyAccess plus cases:GetDomain',
      statements: [casesGetDomain],
      managedPolicyArns: [MANAGED_POLICY.readOnly],
    },
  },
  onboard: {
    minimal: {
      title: 'Onboard to Cases — Option 1: minimum required permissions',
      statements: [
        viewConsole,
        listIntegrationAssociations,
        casesGetDomain,
        casesCreateDomain,
        createIntegrationAssociations,
        putServiceLinkedRolePolicy,
        profileSearchProfiles,
      ],
      managedPolicyArns: [],
    },
    managed: {
      title:
        'Onboard to Cases — Option 2: AmazonConnect_FullAccess, iam:PutRolePolicy on the service-linked role, and the Cases policy',
      statements: [
        { ...casesGetDomain, Action: ['cases:GetDomain', 'cases:CreateDomain'] },
        profileSearchProfiles,
        // The doc requires iam:PutRolePolicy on the service-linked role alongside AmazonConnect_FullAccess,
        // which lacks it; the statement is the one Option 1 uses.
        putServiceLinkedRolePolicy,
      ],
      managedPolicyArns: [MANAGED_POLICY.fullAccess],
    },
  },
};
