import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { peersOf } from '../core/config/topology.js';
import type { Config } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import { needsKeys } from '../pipeline/createPipeline.js';
import { LambdaEnv, replicatorRoleNameFor } from './constants.js';
import { DeadLetterQueue, type DeadLetterQueueProps } from './DeadLetterQueue.js';
import { echoFilterPatterns } from './echoFilter.js';
import type { MaskingKey } from './MaskingKey.js';
import { ReplicatorMonitoring } from './ReplicatorMonitoring.js';
import {
  ESM_FUNCTION_BUNDLING,
  prebundledReplicatorCode,
  prebundledReplicatorDir,
  REQUIRE_SHIM,
} from './replicatorCode.js';
import { type DeploySettings, lambdaConfigDocument, resolveDeploy } from './resolveDeploy.js';
import { bundleCommands, type UserModule, userModulesOf, withBundledModules } from './userModules.js';

/** The repository root (infra/ sits in it); in an installed package, its `dist/`. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Lambda's limit on the environment of a function: 4 KB of names and values together. */
const LAMBDA_ENV_LIMIT = 4096;

/** A peer table the replicator writes to. */
export interface PeerTarget {
  /** Key of `regions`. */
  readonly region: string;
  /** ARN of the peer's table. */
  readonly tableArn: string;
  /**
   * Role to assume to write the peer's table (cross-account peers).
   * @default none: the replicator's own role gets `dynamodb:PutItem` on the table
   */
  readonly writerRoleArn?: string;
}

/**
 * Settings of the replicator function that a CDK user may set over the config's `deploy.lambda`
 * (what `dynasync deploy` reads). Every one falls back to the config, then to the documented default.
 */
export interface ReplicatorFunctionOptions {
  /**
   * Memory of the function, MB (128 to 10240); Lambda gives CPU in proportion, and bills GB-seconds.
   * @default `deploy.lambda.memoryMb`, 512
   */
  readonly memorySize?: number;
  /**
   * Concurrent executions reserved for the function, and its ceiling (1 to 10000). Each stream shard
   * runs up to `deploy.eventSource.parallelizationFactor` batches at once, so fewer than shards ×
   * factor throttles replication (throttled batches are retried; records age).
   * @default `deploy.lambda.reservedConcurrency`; unset there: unreserved, from the account's pool
   */
  readonly reservedConcurrency?: number;
  /**
   * X-Ray active tracing: a subsegment per batch (`## dynasync.batch`) and per peer (`peer <region>`),
   * annotated with counts. The role gets `xray:PutTraceSegments` and `xray:PutTelemetryRecords`.
   * Off, the function runs with `POWERTOOLS_TRACE_ENABLED=false` and records nothing.
   * @default `deploy.lambda.tracing`, true
   */
  readonly tracing?: boolean;
}

/** Properties of a {@link Replicator}. */
export interface ReplicatorProps extends ReplicatorFunctionOptions {
  /** The validated config (`loadConfigFile`): passed to the function, and the source of every setting. */
  readonly config: Config;
  /** Key of `config.regions` whose stream this replicator reads. */
  readonly region: string;
  /** The region's table; it must have a stream (NEW_AND_OLD_IMAGES). */
  readonly table: dynamodb.ITable;
  /**
   * The tables the replicator writes to.
   * @default every peer of `region` in the topology, `arn:<partition>:dynamodb:<peer region>:<account>:table/<table>`
   *   with `deploy.regions.<peer>.account` (else this stack's account) and `deploy.regions.<peer>.writerRoleArn`
   */
  readonly peers?: readonly PeerTarget[];
  /** Where dead letters and on-failure records go. @default a new {@link DeadLetterQueue} */
  readonly deadLetterQueue?: DeadLetterQueue;
  /** This region's masking key: the function may decrypt the token key material. @default no masking key */
  readonly maskingKey?: MaskingKey;
  /**
   * The Lambda entry file, bundled at synth with esbuild (a dev dependency then).
   * @default `replicator/handler.ts` of this repository, when there is no prebundled `code`
   */
  readonly entry?: string;
  /**
   * A folder with the replicator already bundled (`index.mjs` exporting `handler`), deployed as it is.
   * @default the package's own `dist/lambda/replicator` when dynasync is installed (nothing to bundle:
   *   no TypeScript, no Docker); in this repository, where there is none, `entry` is bundled at synth
   */
  readonly code?: string;
  /**
   * Name of the function's IAM role.
   * @default generated; `dynasync-<name>-<region>-replicator` when a peer is written through a writer role
   *   (the writer role trusts it by name)
   */
  readonly roleName?: string;
  /** Notified when an alarm changes state. @default no alarm actions */
  readonly alarmTopic?: sns.ITopic;
  /**
   * ARN of the operator's role that may decrypt the new dead-letter queue's messages
   * (`dynasync redrive --source sqs`); see {@link DeadLetterQueueProps.readerRoleArn}.
   * @default none
   */
  readonly readerRoleArn?: string;
}

const LOCAL_ENDPOINT = /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?/;

/**
 * A bad prop or config field of the construct `scope`, raised eagerly: the payload names the field
 * (`path`) and the construct (`construct`, its path in the tree). CDK's own `ValidationError` is
 * still `@internal` in aws-cdk-lib 2.276, so the construct is named here instead.
 */
const invalid = (scope: Construct, path: string, message: string): DynasyncError =>
  new DynasyncError(ErrorCodes.config.invalidField, `${path}: ${message}`, {
    payload: { path, construct: scope.node.path },
  });

/** The default peer targets of a region, from the config. */
export const peerTargetsOf = (scope: Construct, config: Config, region: string): PeerTarget[] => {
  const deploy = resolveDeploy(config);
  const stack = Stack.of(scope);
  return peersOf(config, region).map((peer) => {
    const regionConfig = config.regions[peer]!;
    const writerRoleArn = deploy.regions[peer]?.writerRoleArn;
    return {
      region: peer,
      tableArn: stack.formatArn({
        service: 'dynamodb',
        region: regionConfig.awsRegion ?? peer,
        account: deploy.regions[peer]?.account ?? stack.account,
        resource: 'table',
        resourceName: regionConfig.table,
      }),
      ...(writerRoleArn === undefined ? {} : { writerRoleArn }),
    };
  });
};

/** The settings of one replicator, resolved from its props over the config and checked. */
interface ReplicatorSettings {
  readonly deploy: DeploySettings;
  readonly memorySize: number;
  readonly reservedConcurrency: number | undefined;
  readonly tracing: boolean;
  readonly peers: readonly PeerTarget[];
  readonly streamArn: string;
}

/** What the function is made with besides the settings. */
interface FunctionParts {
  readonly logGroup: logs.ILogGroup;
  readonly environment: Record<string, string>;
  readonly userModules: readonly UserModule[];
}

/** Memory and reserved concurrency, over `deploy.lambda`, within Lambda's ranges. */
const functionSizeOf = (
  scope: Construct,
  props: ReplicatorProps,
  deploy: DeploySettings,
): { memorySize: number; reservedConcurrency: number | undefined } => {
  const memorySize = props.memorySize ?? deploy.lambda.memoryMb;
  if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240) {
    throw invalid(
      scope,
      'memorySize',
      `${memorySize} MB: Lambda takes a whole number of MB from 128 to 10240`,
    );
  }
  const reservedConcurrency = props.reservedConcurrency ?? deploy.lambda.reservedConcurrency;
  if (
    reservedConcurrency !== undefined &&
    (!Number.isInteger(reservedConcurrency) || reservedConcurrency < 1 || reservedConcurrency > 10_000)
  ) {
    throw invalid(
      scope,
      'reservedConcurrency',
      `${reservedConcurrency}: reserve a whole number of executions from 1 to 10000, or leave it unset (unreserved); 0 would stop replication`,
    );
  }
  return { memorySize, reservedConcurrency };
};

/** The peers it writes: at least one, none behind a local endpoint. */
const checkedPeersOf = (scope: Construct, props: ReplicatorProps): readonly PeerTarget[] => {
  const { config, region } = props;
  const peers = props.peers ?? peerTargetsOf(scope, config, region);
  if (peers.length === 0) {
    throw invalid(
      scope,
      'topology',
      `region ${region} ships to no peer (a one-way replica); it needs no replicator: create only its table`,
    );
  }
  for (const name of [region, ...peers.map((peer) => peer.region)]) {
    const endpoint = config.regions[name]?.endpoint;
    if (endpoint !== undefined && LOCAL_ENDPOINT.test(endpoint)) {
      throw invalid(
        scope,
        `regions.${name}.endpoint`,
        `"${endpoint}" is a local endpoint the deployed function cannot reach; remove it from the config you deploy`,
      );
    }
  }
  return peers;
};

/**
 * A local key is a file or an environment variable of the machine that runs `dynasync run`; the
 * function has neither, so a pipeline that needs a key would fail every invocation.
 */
const checkKeysDeployable = (scope: Construct, config: Config, peers: readonly PeerTarget[]): void => {
  const keyedPeers = peers
    .map((peer) => peer.region)
    .filter((peer) => config.pipelines[peer] !== undefined && needsKeys(config.pipelines[peer]));
  if ((config.keys?.type ?? 'local') === 'local' && keyedPeers.length > 0) {
    throw invalid(
      scope,
      'keys.type',
      `${scope.node.path}: the pipelines for ${keyedPeers.join(', ')} tokenize, encrypt or encrypt dead letters, and keys.type is "local"${config.keys === undefined ? ' (the default)' : ''}: ` +
        'a deployed function has no local key file or variable, so every invocation would fail; set "keys": { "type": "kms" } (the CDK app creates the key and passes it to the function)',
    );
  }
};

/** Every setting of the replicator, checked eagerly (in this order) before a resource is made. */
const resolveSettings = (scope: Construct, props: ReplicatorProps): ReplicatorSettings => {
  const { config, region } = props;
  if (config.regions[region] === undefined) {
    throw invalid(
      scope,
      'region',
      `"${region}" is not a key of "regions" (${Object.keys(config.regions).join(', ')})`,
    );
  }
  const deploy = resolveDeploy(config);
  const { memorySize, reservedConcurrency } = functionSizeOf(scope, props, deploy);
  const tracing = props.tracing ?? deploy.lambda.tracing;
  const peers = checkedPeersOf(scope, props);
  const streamArn = props.table.tableStreamArn;
  if (streamArn === undefined) {
    throw new Error(
      `Replicator ${scope.node.path}: the table has no stream ARN; import it with Table.fromTableAttributes({ tableName, tableStreamArn }) or use ReplicatedTable`,
    );
  }
  checkKeysDeployable(scope, config, peers);
  return { deploy, memorySize, reservedConcurrency, tracing, peers, streamArn };
};

/**
 * One region's replicator: the Lambda function (nodejs24.x, arm64; the package's prebundled code when
 * dynasync is installed, else a NodejsFunction bundled offline with the local esbuild), its DynamoDB
 * stream event source mapping (every setting from `deploy.eventSource`, ReportBatchItemFailures, the
 * echo filter (active-active only), the dead-letter queue as on-failure destination), least-privilege
 * permissions, alarms and a dashboard.
 *
 * Permissions, each on named resources only: read this table's stream; `dynamodb:PutItem` on each
 * peer table (or `sts:AssumeRole` on a peer's writer role); send to the dead-letter queue; decrypt
 * the token key material; write its own log group.
 *
 * @example
 * const table = new ReplicatedTable(stack, 'Table', { tableName: 'orders' });
 * new Replicator(stack, 'Replicator', { config, region: 'eu-west-1', table: table.table });
 */
export class Replicator extends Construct {
  /** The function: a NodejsFunction when bundled at synth, a plain Function with prebundled code. */
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  public readonly eventSourceMapping: lambda.EventSourceMapping;
  public readonly deadLetterQueue: DeadLetterQueue;
  public readonly monitoring: ReplicatorMonitoring;
  public readonly peers: readonly PeerTarget[];

  public constructor(scope: Construct, id: string, props: ReplicatorProps) {
    super(scope, id);
    const { config, region } = props;
    const settings = resolveSettings(this, props);
    const { deploy, peers } = settings;
    this.peers = peers;
    this.role = this.createRole(props, peers);
    const removalPolicy = deploy.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: deploy.lambda.logRetentionDays as logs.RetentionDays,
      removalPolicy,
    });
    logGroup.grantWrite(this.role);

    this.deadLetterQueue =
      props.deadLetterQueue ??
      new DeadLetterQueue(this, 'DeadLetterQueue', {
        description: `dynasync ${config.name}: dead letters of ${region}`,
        removalPolicy,
        ...(props.readerRoleArn === undefined ? {} : { readerRoleArn: props.readerRoleArn }),
      });

    // Merge and map modules the config names are bundled with the function, and the config it reads
    // points at them there.
    const userModules = userModulesOf(config, region);
    const environment = this.environmentOf(props, settings, userModules);
    this.function = this.createFunction(props, settings, { logGroup, environment, userModules });
    if (settings.tracing) this.acknowledgeTracingWildcard();
    this.grantPermissions(props, peers);
    this.eventSourceMapping = this.createEventSourceMapping(config, deploy, settings.streamArn);

    this.monitoring = new ReplicatorMonitoring(this, 'Monitoring', {
      deployment: config.name,
      region,
      peers: peers.map((peer) => peer.region),
      function: this.function,
      deadLetterQueue: this.deadLetterQueue.queue,
      alarms: deploy.alarms,
      ...(props.alarmTopic === undefined ? {} : { alarmTopic: props.alarmTopic }),
    });
  }

  /** The function's role: named when a peer is written through a writer role (it trusts the name). */
  private createRole(props: ReplicatorProps, peers: readonly PeerTarget[]): iam.Role {
    const { config, region } = props;
    const roleName =
      props.roleName ??
      (peers.some((peer) => peer.writerRoleArn !== undefined)
        ? replicatorRoleNameFor(config.name, region)
        : undefined);
    if (roleName !== undefined && roleName.length > 64) {
      throw invalid(
        this,
        'name',
        `the replicator role name "${roleName}" is ${roleName.length} characters; IAM allows 64: shorten the deployment name`,
      );
    }
    return new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `dynasync ${config.name}: replicator of ${region}`,
      ...(roleName === undefined ? {} : { roleName }),
    });
  }

  /** The function's environment, checked against Lambda's 4 KB limit. */
  private environmentOf(
    props: ReplicatorProps,
    { peers, tracing }: ReplicatorSettings,
    userModules: readonly UserModule[],
  ): Record<string, string> {
    const { config, region } = props;
    const peerRoles = Object.fromEntries(
      peers.flatMap((peer) => (peer.writerRoleArn === undefined ? [] : [[peer.region, peer.writerRoleArn]])),
    );
    const environment: Record<string, string> = {
      [LambdaEnv.config]: lambdaConfigDocument(withBundledModules(config, userModules)),
      [LambdaEnv.region]: region,
      [LambdaEnv.sourceAccount]: Stack.of(this).account,
      [LambdaEnv.deadLetterQueueUrl]: this.deadLetterQueue.queue.queueUrl,
      NODE_OPTIONS: '--enable-source-maps',
      ...(tracing ? {} : { POWERTOOLS_TRACE_ENABLED: 'false' }),
      ...(Object.keys(peerRoles).length === 0 ? {} : { [LambdaEnv.peerRoles]: JSON.stringify(peerRoles) }),
      ...(props.maskingKey === undefined
        ? {}
        : {
            [LambdaEnv.maskingKeyArn]: props.maskingKey.keyArn,
            [LambdaEnv.tokenKeyCiphertext]: props.maskingKey.tokenKeyCiphertext,
          }),
    };
    // Tokens (queue URL, key ARN, ciphertext) resolve to at most ~600 characters together.
    const literalSize = Object.entries(environment).reduce(
      (size, [name, value]) => size + name.length + (Token.isUnresolved(value) ? 0 : value.length),
      0,
    );
    if (literalSize + 600 > LAMBDA_ENV_LIMIT) {
      throw invalid(
        this,
        '(top level)',
        `the config passed in ${LambdaEnv.config} makes the function's environment about ${literalSize + 600} bytes; Lambda allows ${LAMBDA_ENV_LIMIT}: shorten the config (it is passed without "deploy")`,
      );
    }
    return environment;
  }

  /** The function: the prebundled code when there is some, else `entry` bundled at synth. */
  private createFunction(
    props: ReplicatorProps,
    { deploy, peers, memorySize, reservedConcurrency, tracing }: ReplicatorSettings,
    parts: FunctionParts,
  ): lambda.Function {
    const functionProps = {
      description: `dynasync ${props.config.name}: replicates ${props.region} to ${peers.map((peer) => peer.region).join(', ')}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout: Duration.seconds(deploy.lambda.timeoutSeconds),
      tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      ...(reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: reservedConcurrency }),
      role: this.role,
      logGroup: parts.logGroup,
      environment: parts.environment,
    } satisfies Partial<lambda.FunctionProps>;
    if (props.code !== undefined && prebundledReplicatorDir(props.code, '') === undefined) {
      throw new Error(
        `Replicator ${this.node.path}: code "${props.code}" has no index.mjs; pass the folder of a bundled handler (dist/lambda/replicator)`,
      );
    }
    const prebundled = props.code ?? (props.entry === undefined ? prebundledReplicatorDir() : undefined);
    const { userModules } = parts;
    return prebundled !== undefined
      ? new lambda.Function(this, 'Function', {
          ...functionProps,
          handler: 'index.handler',
          code: prebundledReplicatorCode(prebundled, userModules),
        })
      : new nodejs.NodejsFunction(this, 'Function', {
          ...functionProps,
          entry: props.entry ?? join(PROJECT_ROOT, 'replicator', 'handler.ts'),
          handler: 'handler',
          projectRoot: PROJECT_ROOT,
          depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
          bundling: {
            ...ESM_FUNCTION_BUNDLING,
            ...(userModules.length === 0
              ? {}
              : {
                  commandHooks: {
                    beforeBundling: () => [],
                    beforeInstall: () => [],
                    afterBundling: (_inputDir: string, outputDir: string) =>
                      bundleCommands(userModules, outputDir, REQUIRE_SHIM),
                  },
                }),
          },
        });
  }

  /** Tracing.ACTIVE adds xray:PutTraceSegments and xray:PutTelemetryRecords on "*" to the role. */
  private acknowledgeTracingWildcard(): void {
    const policy = this.role.node.tryFindChild('DefaultPolicy');
    if (policy !== undefined) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level ' +
          'permissions, so AWS documents "*" as their only resource; the statement grants nothing else.',
      });
    }
  }

  /** Stream reads, peer writes, dead letters and the token key: each on named resources only. */
  private grantPermissions(props: ReplicatorProps, peers: readonly PeerTarget[]): void {
    // Read this table's stream (what the event source mapping does with the function's role).
    props.table.grantStream(
      this.role,
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    );
    // Write the peers: conditional PutItem only, or assume the peer account's writer role.
    for (const peer of peers) {
      if (peer.writerRoleArn === undefined) {
        dynamodb.Table.fromTableArn(this, `Peer-${peer.region}`, peer.tableArn).grant(
          this.role,
          'dynamodb:PutItem',
          // conflict.strategy "merge" reads the peer's item (consistently) to merge concurrent writes.
          ...(props.config.conflict.strategy === 'merge' ? ['dynamodb:GetItem'] : []),
        );
      } else {
        iam.Role.fromRoleArn(this, `PeerWriter-${peer.region}`, peer.writerRoleArn, {
          mutable: false,
        }).grantAssumeRole(this.role);
      }
    }
    this.deadLetterQueue.grantSendMessages(this.role);
    props.maskingKey?.grantDecryptTokenKey(this.role);
  }

  /** The stream's event source mapping: `deploy.eventSource`, partial failures, dead letters, echo filter. */
  private createEventSourceMapping(
    config: Config,
    deploy: DeploySettings,
    streamArn: string,
  ): lambda.EventSourceMapping {
    const { eventSource } = deploy;
    const mapping = new lambda.EventSourceMapping(this, 'StreamMapping', {
      target: this.function,
      eventSourceArn: streamArn,
      batchSize: eventSource.batchSize,
      maxBatchingWindow: Duration.seconds(eventSource.maxBatchingWindowSeconds),
      parallelizationFactor: eventSource.parallelizationFactor,
      startingPosition: lambda.StartingPosition[eventSource.startingPosition],
      bisectBatchOnError: eventSource.bisectBatchOnError,
      retryAttempts: eventSource.retryAttempts,
      ...(eventSource.maxRecordAgeSeconds === -1
        ? {}
        : { maxRecordAge: Duration.seconds(eventSource.maxRecordAgeSeconds) }),
      reportBatchItemFailures: true,
      onFailure: this.deadLetterQueue.asOnFailureDestination(),
      // Only active-active streams carry echoes. Nothing replicates into a one-way source, so a write
      // there with `<prefix>rep` = true (an item restored or copied back from a replica) is the
      // application's, and the filter would drop it.
      ...(deploy.filterEchoes && config.topology.type === 'active-active'
        ? {
            filters: echoFilterPatterns(config.metadata.prefix).map((pattern) =>
              lambda.FilterCriteria.filter(pattern),
            ),
          }
        : {}),
    });
    if (eventSource.maxRecordAgeSeconds === -1) {
      // Explicit in the template: records are retried until they expire from the stream (24 h).
      (mapping.node.defaultChild as lambda.CfnEventSourceMapping).maximumRecordAgeInSeconds = -1;
    }
    // Lambda checks the role's stream permissions when it creates the mapping.
    mapping.node.addDependency(this.role);
    return mapping;
  }
}
