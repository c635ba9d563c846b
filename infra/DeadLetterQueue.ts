import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Properties of a {@link DeadLetterQueue}. */
export interface DeadLetterQueueProps {
  /** Description of the queue's key, shown in the KMS console. @default "dynasync dead-letter queue" */
  readonly description?: string;
  /** How long a dead letter is kept. SQS allows 14 days at most. @default Duration.days(14) */
  readonly retentionPeriod?: Duration;
  /** What happens to the queue and its key when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The replicator's dead-letter queue: SQS, encrypted with its own customer-managed KMS key
 * (rotated yearly), TLS only, 14 days retention. The handler sends whole records that can never be
 * written; the event source mapping sends on-failure metadata (the shard and sequence range of a
 * batch it gave up on).
 */
export class DeadLetterQueue extends Construct {
  /** The queue. */
  public readonly queue: sqs.Queue;
  /** The customer-managed key the queue is encrypted with. */
  public readonly key: kms.Key;

  public constructor(scope: Construct, id: string, props: DeadLetterQueueProps = {}) {
    super(scope, id);
    const retentionPeriod = props.retentionPeriod ?? Duration.days(14);
    if (retentionPeriod.toSeconds() < 60 || retentionPeriod.toSeconds() > 1_209_600) {
      throw new Error(
        `DeadLetterQueue: retentionPeriod is ${retentionPeriod.toSeconds()} s; SQS keeps messages 60 s to 14 days (1209600 s)`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'Key', {
      description: props.description ?? 'dynasync dead-letter queue',
      enableKeyRotation: true,
      removalPolicy,
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
   * `kms:Decrypt` on its key (what SQS server-side encryption with a customer-managed key needs for
   * a send). Nothing else: no receive, no purge, no other queue or key.
   */
  public grantSendMessages(grantee: iam.IGrantable): iam.Grant {
    return this.queue
      .grant(grantee, 'sqs:SendMessage')
      .combine(this.key.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt'));
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
