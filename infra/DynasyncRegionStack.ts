import { RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { peersOf } from '../core/config/topology.js';
import type { Config } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import { replicatorRoleNameFor, stackNameFor } from './constants.js';
import { MaskingKey } from './MaskingKey.js';
import { ReplicatedTable } from './ReplicatedTable.js';
import { Replicator, type ReplicatorFunctionOptions } from './Replicator.js';
import { resolveDeploy, sourcesOf } from './resolveDeploy.js';

/** The parts of a synthesised template {@link DynasyncRegionStack} adds to. */
interface CloudFormationTemplate {
  Resources?: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; [field: string]: unknown }
  >;
  readonly [section: string]: unknown;
}

/** Properties of a {@link DynasyncRegionStack}. */
export interface DynasyncRegionStackProps extends StackProps {
  /** The validated config. */
  readonly config: Config;
  /** Key of `config.regions` this stack deploys. */
  readonly region: string;
  /**
   * The multi-Region masking key's primary, made by the KMS primary region's stack.
   * @default this stack makes the primary (it must be `deploy.kmsPrimaryRegion`), or no key when `deploy.maskingKeys` is false
   */
  readonly maskingKeyPrimary?: MaskingKey;
  /** The replicator's Lambda entry file. @default `replicator/handler.ts` of this repository */
  readonly replicatorEntry?: string;
  /**
   * Memory, reserved concurrency and tracing of the replicator function, over the config's `deploy.lambda`.
   * @default each from `deploy.lambda` (512 MB, unreserved, tracing on)
   */
  readonly replicatorFunction?: ReplicatorFunctionOptions;
  /**
   * ARN of the operator's role that may decrypt with this region's keys: the token key material
   * (`dynasync decrypt`, `dynasync tokenize`) and the dead letters (`dynasync redrive --source sqs`).
   * @default none: only the replicator uses the keys
   */
  readonly readerRoleArn?: string;
}

/**
 * Everything one region needs: its table (created or imported), its copy of the masking key, the
 * writer role that other accounts' replicators assume (when configured) and, when the region ships
 * changes to peers, its {@link Replicator} with dead-letter queue, alarms and dashboard.
 *
 * The environment comes from the config (`regions.<name>.awsRegion` or the key, and
 * `deploy.regions.<name>.account`); nothing is looked up at synthesis.
 */
export class DynasyncRegionStack extends Stack {
  public readonly config: Config;
  /** Key of `config.regions`. */
  public readonly regionName: string;
  public readonly table: ReplicatedTable;
  /** @default undefined when `deploy.maskingKeys` is false */
  public readonly maskingKey?: MaskingKey;
  /** The role peers in other accounts assume to write this table. @default undefined without `deploy.regions.<name>.writerRoleArn` */
  public readonly writerRole?: iam.Role;
  /** @default undefined in a one-way replica region (it ships nothing) */
  public readonly replicator?: Replicator;

  public constructor(scope: Construct, id: string, props: DynasyncRegionStackProps) {
    const { config, region } = props;
    const regionConfig = config.regions[region];
    if (regionConfig === undefined) {
      throw new DynasyncError(
        ErrorCodes.config.invalidField,
        `DynasyncRegionStack: region "${region}" is not a key of "regions" (${Object.keys(config.regions).join(', ')})`,
        { payload: { path: 'regions' } },
      );
    }
    const deploy = resolveDeploy(config);
    const regionDeploy = deploy.regions[region];
    super(scope, id, {
      stackName: stackNameFor(config.name, region),
      description: `dynasync ${config.name}: replication resources of region ${region}`,
      env: {
        region: regionConfig.awsRegion ?? region,
        ...(regionDeploy?.account === undefined ? {} : { account: regionDeploy.account }),
      },
      crossRegionReferences: deploy.maskingKeys,
      ...props,
    });
    this.config = config;
    this.regionName = region;
    Tags.of(this).add('dynasync:deployment', config.name);
    Tags.of(this).add('dynasync:region', region);
    const removalPolicy = deploy.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.table = new ReplicatedTable(this, 'Table', {
      tableName: regionConfig.table,
      metadataPrefix: config.metadata.prefix,
      removalPolicy,
      ...(deploy.table.mode === 'create'
        ? {
            create: {
              partitionKey: deploy.table.partitionKey,
              ...(deploy.table.sortKey === undefined ? {} : { sortKey: deploy.table.sortKey }),
            },
          }
        : {}),
      ...(regionDeploy?.streamArn === undefined ? {} : { streamArn: regionDeploy.streamArn }),
    });

    if (deploy.maskingKeys) {
      const isPrimary = region === deploy.kmsPrimaryRegion;
      if (isPrimary !== (props.maskingKeyPrimary === undefined)) {
        throw new DynasyncError(
          ErrorCodes.config.invalidField,
          isPrimary
            ? `DynasyncRegionStack ${id}: ${region} is deploy.kmsPrimaryRegion, so it makes the primary key; do not pass maskingKeyPrimary`
            : `DynasyncRegionStack ${id}: pass maskingKeyPrimary (the key of the ${deploy.kmsPrimaryRegion} stack, deploy.kmsPrimaryRegion)`,
          { payload: { path: 'deploy.kmsPrimaryRegion' } },
        );
      }
      this.maskingKey = new MaskingKey(this, 'MaskingKey', {
        deployment: config.name,
        removalPolicy,
        ...(props.maskingKeyPrimary === undefined ? {} : { primary: props.maskingKeyPrimary }),
        ...(props.readerRoleArn === undefined ? {} : { readerRoleArn: props.readerRoleArn }),
      });
    }

    if (regionDeploy?.writerRoleArn !== undefined)
      this.writerRole = this.addWriterRole(regionDeploy.writerRoleArn);

    if (peersOf(config, region).length > 0) {
      this.replicator = new Replicator(this, 'Replicator', {
        config,
        region,
        table: this.table.table,
        ...(this.maskingKey === undefined ? {} : { maskingKey: this.maskingKey }),
        ...props.replicatorFunction,
        ...(props.replicatorEntry === undefined ? {} : { entry: props.replicatorEntry }),
        ...(props.readerRoleArn === undefined ? {} : { readerRoleArn: props.readerRoleArn }),
        ...(regionDeploy?.alarmTopicArn === undefined
          ? {}
          : { alarmTopic: sns.Topic.fromTopicArn(this, 'AlarmTopic', regionDeploy.alarmTopicArn) }),
      });
    }
  }

  /**
   * The template, with a log group for each function the CDK adds to the stack while it synthesises
   * (the cross-region export writer in the KMS primary region, the reader elsewhere): those appear
   * after aspects have run, so neither an aspect nor a prop reaches them, and their default log group
   * would keep logs forever. Each gets `LoggingConfig.LogGroup`, a log group with
   * `deploy.lambda.logRetentionDays`, deleted with the stack. Functions that name their log group
   * (the replicator, the token key function) are left alone. Their roles write any log group
   * (`AWSLambdaBasicExecutionRole`).
   */
  protected override _toCloudFormation(): CloudFormationTemplate {
    const template = super._toCloudFormation() as CloudFormationTemplate;
    const resources = template.Resources ?? {};
    const retention = resolveDeploy(this.config).lambda.logRetentionDays;
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const properties = resource.Properties ?? {};
      resource.Properties = properties;
      const logging = (properties.LoggingConfig ?? {}) as Record<string, unknown>;
      if (logging.LogGroup !== undefined) continue;
      const logGroupId = `${logicalId}LogGroup`;
      if (resources[logGroupId] !== undefined)
        throw new Error(`DynasyncRegionStack ${this.node.path}: logical id ${logGroupId} is taken`);
      resources[logGroupId] = {
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: retention },
        UpdateReplacePolicy: 'Delete',
        DeletionPolicy: 'Delete',
      };
      properties.LoggingConfig = { ...logging, LogGroup: { Ref: logGroupId } };
    }
    return template;
  }

  /**
   * The role the replicators of other regions assume to write this region's table: `dynamodb:PutItem`
   * on the table, assumable only by those replicators' roles (by name, so the stacks can deploy in any order).
   */
  private addWriterRole(writerRoleArn: string): iam.Role {
    const { config, regionName: region } = this;
    const deploy = resolveDeploy(config);
    const sources = sourcesOf(config, region);
    if (sources.length === 0) {
      throw new DynasyncError(
        ErrorCodes.config.invalidField,
        `deploy.regions.${region}.writerRoleArn: no region writes to ${region} in this topology; remove writerRoleArn`,
        { payload: { path: `deploy.regions.${region}.writerRoleArn` } },
      );
    }
    const accounts = sources.map((source) => deploy.regions[source]?.account ?? this.account);
    const principalArns = sources.map(
      (source, index) =>
        `arn:${this.partition}:iam::${accounts[index]}:role/${replicatorRoleNameFor(config.name, source)}`,
    );
    const role = new iam.Role(this, 'WriterRole', {
      roleName: writerRoleArn.slice(writerRoleArn.lastIndexOf('/') + 1),
      description: `dynasync ${config.name}: peers (${sources.join(', ')}) write table ${config.regions[region]!.table} with it`,
      assumedBy: new iam.PrincipalWithConditions(
        new iam.CompositePrincipal(
          ...[...new Set(accounts)].map((account) => new iam.AccountPrincipal(account)),
        ),
        { ArnEquals: { 'aws:PrincipalArn': principalArns } },
      ),
    });
    this.table.table.grant(
      role,
      'dynamodb:PutItem',
      ...(config.conflict.strategy === 'merge' ? ['dynamodb:GetItem'] : []),
    );
    return role;
  }
}
