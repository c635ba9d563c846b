import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import { assertRoleArn, encryptionContextEquals, KeyUse, keyAdminStatement } from './_internals/keyPolicy.js';
import { TOKEN_KEY_HANDLER_SOURCE } from './_internals/tokenKeyHandler.js';
import { tokenKeyEncryptionContext } from './constants.js';

/** Properties of a {@link MaskingKey}. */
export interface MaskingKeyProps {
  /** Deployment name (`config.name`): part of the alias and of the token key's encryption context. */
  readonly deployment: string;
  /**
   * The primary this key replicates. The primary lives in another region's stack; its key ARN and
   * token key material reach this stack as cross-region references.
   * @default this is the primary: a new multi-Region key and new token key material
   */
  readonly primary?: MaskingKey;
  /** What happens to the key when the stack is deleted (KMS deletes a key after a 7-30 day wait). @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * ARN of a role that may decrypt the token key material too (with its encryption context only):
   * the operator's role for `dynasync decrypt` and `dynasync tokenize` with `keys.type` "kms". It
   * needs `kms:Decrypt` on the key in an IAM policy of its own as well. The role need not exist yet.
   * @default none: only the replicator (and, in the primary, the function that creates the material)
   */
  readonly readerRoleArn?: string;
}

/**
 * The keys for masking: a KMS multi-Region key (primary in one region, a replica with the same key
 * material in each other region) and token key material protected by it — a 256-bit data key that
 * KMS generated under the primary and that exists only as ciphertext. Any region decrypts it with
 * its own copy of the key, so every region computes the same tokens without calling another region.
 *
 * The replicator may decrypt the token key material and nothing else ({@link grantDecryptTokenKey}).
 *
 * Key policy (each region's copy has its own): the account administers the key but cannot use it,
 * so an IAM policy granting `kms:Decrypt` on `*` does not reach it; `kms:Decrypt` with the token
 * key's encryption context is allowed only to the roles given {@link grantDecryptTokenKey} and to
 * `readerRoleArn`; in the primary, `kms:GenerateDataKeyWithoutPlaintext` with that context only to
 * the function that creates the material.
 */
export class MaskingKey extends Construct {
  /** ARN of this region's copy of the key. */
  public readonly keyArn: string;
  /** The token key material: base64 ciphertext of a data key under this key, with {@link encryptionContext}. */
  public readonly tokenKeyCiphertext: string;
  /** The encryption context the token key material was made with; decrypting needs it. */
  public readonly encryptionContext: Readonly<Record<string, string>>;
  /** True in the primary region. */
  public readonly isPrimary: boolean;
  /** The key's policy (this region's copy). */
  public readonly keyPolicy: iam.PolicyDocument;
  private readonly decrypters: KeyUse;

  public constructor(scope: Construct, id: string, props: MaskingKeyProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const alias = `alias/dynasync/${props.deployment}/masking`;
    this.encryptionContext = tokenKeyEncryptionContext(props.deployment);
    this.isPrimary = props.primary === undefined;
    this.keyPolicy = new iam.PolicyDocument({ statements: [keyAdminStatement()] });
    this.decrypters = new KeyUse(this, this.keyPolicy, {
      sid: 'ReplicatorsDecryptTheTokenKey',
      actions: ['kms:Decrypt'],
      stringEquals: encryptionContextEquals(this.encryptionContext),
    });
    if (props.readerRoleArn !== undefined) {
      assertRoleArn(this, props.readerRoleArn);
      new KeyUse(this, this.keyPolicy, {
        sid: 'ReaderDecryptsTheTokenKey',
        actions: ['kms:Decrypt'],
        stringEquals: encryptionContextEquals(this.encryptionContext),
      }).allow(props.readerRoleArn);
    }
    if (props.primary === undefined) {
      const key = new kms.Key(this, 'Key', {
        description: `dynasync ${props.deployment}: masking (multi-Region primary)`,
        multiRegion: true,
        enableKeyRotation: true,
        alias,
        removalPolicy,
        policy: this.keyPolicy,
      });
      this.keyArn = key.keyArn;
      this.tokenKeyCiphertext = new TokenKeyMaterial(this, 'TokenKey', {
        keyArn: key.keyArn,
        encryptionContext: this.encryptionContext,
        keyPolicy: this.keyPolicy,
      }).ciphertext;
    } else {
      if (Stack.of(props.primary).region === Stack.of(this).region) {
        throw new DynasyncError(
          ErrorCodes.config.invalidField,
          `deploy.maskingKeys: ${this.node.path} would replicate the masking key into its primary's own AWS region (${Stack.of(this).region}); two config regions share an AWS region, so set deploy.maskingKeys to false`,
          { payload: { path: 'deploy.maskingKeys' } },
        );
      }
      const replica = new kms.CfnReplicaKey(this, 'Key', {
        primaryKeyArn: props.primary.keyArn,
        description: `dynasync ${props.deployment}: masking (replica)`,
        keyPolicy: this.keyPolicy,
      });
      replica.applyRemovalPolicy(removalPolicy);
      new kms.CfnAlias(this, 'Alias', { aliasName: alias, targetKeyId: replica.attrKeyId });
      this.keyArn = replica.attrArn;
      this.tokenKeyCiphertext = props.primary.tokenKeyCiphertext;
    }
  }

  /**
   * Lets a principal decrypt the token key material: `kms:Decrypt` on this region's key, only with
   * the token key's encryption context, in its IAM policy and in the key policy (which names it by
   * `aws:PrincipalArn`). No encrypt, no data keys, no other key.
   */
  public grantDecryptTokenKey(grantee: iam.IGrantable): iam.Grant {
    this.decrypters.allow(grantee);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [this.keyArn],
      conditions: { StringEquals: encryptionContextEquals(this.encryptionContext) },
    });
  }
}

interface TokenKeyMaterialProps {
  readonly keyArn: string;
  readonly encryptionContext: Readonly<Record<string, string>>;
  /** The key's policy: it gets the statement that lets this function generate the material. */
  readonly keyPolicy: iam.PolicyDocument;
}

/** Custom resource that asks KMS once for a data key under the masking key and keeps only its ciphertext. */
class TokenKeyMaterial extends Construct {
  public readonly ciphertext: string;

  public constructor(scope: Construct, id: string, props: TokenKeyMaterialProps) {
    super(scope, id);
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'dynasync: creates the token key material (ciphertext only)',
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(role);
    new KeyUse(this, props.keyPolicy, {
      sid: 'TokenKeyMaterialIsGenerated',
      actions: ['kms:GenerateDataKeyWithoutPlaintext'],
      stringEquals: encryptionContextEquals(props.encryptionContext),
    }).allow(role);
    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['kms:GenerateDataKeyWithoutPlaintext'],
      resourceArns: [props.keyArn],
      conditions: { StringEquals: encryptionContextEquals(props.encryptionContext) },
    });
    const handler = new lambda.Function(this, 'Function', {
      description: 'dynasync: creates the token key material (ciphertext only)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(TOKEN_KEY_HANDLER_SOURCE),
      timeout: Duration.minutes(1),
      role,
      logGroup,
    });
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: handler.functionArn,
      resourceType: 'Custom::DynasyncTokenKey',
      properties: { KeyArn: props.keyArn, EncryptionContext: props.encryptionContext },
    });
    resource.node.addDependency(role);
    this.ciphertext = resource.getAttString('Ciphertext');
  }
}
