import { Lazy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';

/**
 * What the account (its IAM administrators, and CloudFormation) may do with a dynasync key: manage
 * it, and nothing else. No `Encrypt`, `Decrypt`, `ReEncrypt*`, `GenerateDataKey*` and no
 * `CreateGrant` (a grant would hand out use without a policy change), so a principal with
 * `kms:Decrypt` on `*` in an IAM policy cannot use the key. `PutKeyPolicy`, `ScheduleKeyDeletion`
 * and the rest stay with the account, so the key never becomes unmanageable: an administrator can
 * always change its policy (and that change is in CloudTrail).
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:Describe*',
  'kms:Disable*',
  'kms:Enable*',
  'kms:Get*',
  'kms:List*',
  'kms:PutKeyPolicy',
  'kms:ReplicateKey',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:Update*',
] as const;

/** The key policy statement that lets the account administer the key through IAM (and not use it). */
export const keyAdminStatement = (): iam.PolicyStatement =>
  new iam.PolicyStatement({
    sid: 'AccountAdministersTheKeyWithoutUsingIt',
    principals: [new iam.AccountRootPrincipal()],
    actions: [...KEY_ADMIN_ACTIONS],
    resources: ['*'],
  });

/** `StringEquals` entries that pin an encryption context. */
export const encryptionContextEquals = (context: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(context).map(([key, value]) => [`kms:EncryptionContext:${key}`, value]));

/** The ARN of a grantee's principal (a role's ARN), as the key policy names it. */
const principalArnOf = (grantee: iam.IGrantable): string => {
  const arns = grantee.grantPrincipal.policyFragment.principalJson.AWS as string | string[] | undefined;
  const arn = Array.isArray(arns) ? arns[0] : arns;
  if (arn === undefined)
    throw new Error('dynasync key policy: a key can only be used by an IAM principal with an ARN (a role)');
  return arn;
};

/**
 * One use of a key, for a growing set of principals: a key policy statement for the account with
 * the principals' ARNs as an `aws:PrincipalArn` condition (so KMS does not need the roles to exist
 * when the policy is set, and a re-created role is matched by its ARN), added on the first principal.
 * The principals also need the use in an IAM policy of their own, which the grant methods add.
 */
export class KeyUse {
  private readonly arns = new Map<string, string>();

  public constructor(
    private readonly scope: IConstruct,
    private readonly document: iam.PolicyDocument,
    private readonly statement: {
      readonly sid: string;
      readonly actions: readonly string[];
      readonly stringEquals: Readonly<Record<string, string>>;
    },
  ) {}

  /** Lets a principal (by ARN, or a grantee's role) use the key as this statement says. */
  public allow(principal: string | iam.IGrantable): void {
    const arn = typeof principal === 'string' ? principal : principalArnOf(principal);
    const id = JSON.stringify(Stack.of(this.scope).resolve(arn));
    if (this.arns.has(id)) return;
    this.arns.set(id, arn);
    if (this.arns.size > 1) return;
    this.document.addStatements(
      new iam.PolicyStatement({
        sid: this.statement.sid,
        principals: [new iam.AccountRootPrincipal()],
        actions: [...this.statement.actions],
        resources: ['*'],
        conditions: {
          StringEquals: { ...this.statement.stringEquals },
          ArnEquals: { 'aws:PrincipalArn': Lazy.list({ produce: () => [...this.arns.values()] }) },
        },
      }),
    );
  }
}

const ROLE_ARN = /^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * Refuses a reader role that is not an IAM role ARN: the key policy names it in an `aws:PrincipalArn`
 * condition, which would silently match nobody.
 * @throws DynasyncError `config.invalidField` with the path `readerRoleArn`
 */
export const assertRoleArn = (scope: IConstruct, arn: string): void => {
  if (Token.isUnresolved(arn) || ROLE_ARN.test(arn)) return;
  throw new DynasyncError(
    ErrorCodes.config.invalidField,
    `readerRoleArn: ${scope.node.path} got "${arn}", which is not an IAM role ARN; give arn:<partition>:iam::<account>:role/<name>`,
    { payload: { path: 'readerRoleArn' } },
  );
};
