import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { assertRoleArn, KeyUse, keyAdminStatement } from './_internals/keyPolicy.js';

/** Properties of a {@link DeadLetterQueue}. */
export interface DeadLetterQueueProps {
  /** Description of the queue's key, shown in the KMS console. @default "dynasync dead-letter queue" */
  readonly description?: string;
  /** How long a dead letter is kept. SQS allows 14 days at most. @default Duration.days(14) */
  readonly retentionPeriod?: Duration;
  /** What happens to the queue and its key when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * ARN of a role that may decrypt the dead letters through SQS (`kms:Decrypt` with
   * `kms:ViaService` sqs): the operator's role for `dynasync redrive --source sqs`. It needs
   * `sqs:ReceiveMessage`/`DeleteMessage` and `kms:Decrypt` in an IAM policy of its own as well.
   * @default none: only the senders ({@link DeadLetterQueue.grantSendMessages}) may use the key
   */
  readonly readerRoleArn?: string;
}

/**
 * The replicator's dead-letter queue: SQS, encrypted with its own customer-managed KMS key
 * (rotated yearly), TLS only, 14 days retention. The handler sends whole records that can never be
 * written; the event source mapping sends on-failure metadata (the shard and sequence range of a
 * batch it gave up on).
 *
 * Key policy: the account administers the key but cannot use it (an IAM policy granting
 * `kms:Decrypt` on `*` does not reach it); `kms:GenerateDataKey` and `kms:Decrypt` only through SQS
 * in this region (`kms:ViaService`) and only for the senders and `readerRoleArn` (`kms:Decrypt`).
 */
export class DeadLetterQueue extends Construct {
  /** The queue. */
  public readonly queue: sqs.Queue;
  /** The customer-managed key the queue is encrypted with. */
  public readonly key: kms.Key;
  /** `kms:ViaService` of this region's SQS: the only way the key may be used. */
  private readonly viaSqs: Record<string, string>;
  private readonly senders: KeyUse;

  public constructor(scope: Construct, id: string, props: DeadLetterQueueProps = {}) {
    super(scope, id);
    const retentionPeriod = props.retentionPeriod ?? Duration.days(14);
    if (retentionPeriod.toSeconds() < 60 || retentionPeriod.toSeconds() > 1_209_600) {
      throw new Error(
        `DeadLetterQueue: retentionPeriod is ${retentionPeriod.toSeconds()} s; SQS keeps messages 60 s to 14 days (1209600 s)`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const policy = new iam.PolicyDocument({ statements: [keyAdminStatement()] });
    this.viaSqs = { 'kms:ViaService': `sqs.${Stack.of(this).region}.${Stack.of(this).urlSuffix}` };
    this.senders = new KeyUse(this, policy, {
      sid: 'SendersUseTheKeyThroughSqs',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      stringEquals: this.viaSqs,
    });
    if (props.readerRoleArn !== undefined) {
      assertRoleArn(this, props.readerRoleArn);
      new KeyUse(this, policy, {
        sid: 'ReaderDecryptsThroughSqs',
        actions: ['kms:Decrypt'],
        stringEquals: this.viaSqs,
      }).allow(props.readerRoleArn);
    }
    this.key = new kms.Key(this, 'Key', {
      description: props.description ?? 'dynasync dead-letter queue',
      enableKeyRotation: true,
      removalPolicy,
      policy,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      retentionPeriod,
      enforceSSL: true,
      removalPolicy,
    });
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the replicator (handler dead letters and the event source ' +
        "mapping's on-failure records); a dead-letter queue of a dead-letter queue would only move the problem.",
    });
  }

  /**
   * Lets a principal send dead letters: `sqs:SendMessage` on this queue, and `kms:GenerateDataKey` +
   * `kms:Decrypt` on its key through SQS only (what SQS server-side encryption with a
   * customer-managed key needs for a send), in its IAM policy and in the key policy. Nothing else:
   * no receive, no purge, no other queue or key.
   */
  public grantSendMessages(grantee: iam.IGrantable): iam.Grant {
    this.senders.allow(grantee);
    return this.queue.grant(grantee, 'sqs:SendMessage').combine(
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resourceArns: [this.key.keyArn],
        conditions: { StringEquals: this.viaSqs },
      }),
    );
  }

  /** This queue as the on-failure destination of an event source mapping, granting only what {@link grantSendMessages} grants. */
  public asOnFailureDestination(): lambda.IEventSourceDlq {
    return {
      bind: (_mapping, target) => {
        this.grantSendMessages(target);
        return { destination: this.queue.queueArn };
      },
    };
  }
}
