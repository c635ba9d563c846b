import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { metadataNamesFor } from '../core/config/topology.js';

/** A key attribute of a created table. */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

/** Properties of a {@link ReplicatedTable}. */
export interface ReplicatedTableProps {
  /** Name of the table in this region (`regions.<name>.table`). */
  readonly tableName: string;
  /**
   * Create the table with this key schema.
   * @default import the existing table named `tableName`
   */
  readonly create?: { readonly partitionKey: KeyAttribute; readonly sortKey?: KeyAttribute };
  /** Prefix of dynasync's metadata attributes; a created table's TTL attribute is `<prefix>ttl`. @default "_ds_" */
  readonly metadataPrefix?: string;
  /**
   * Stream ARN of an imported table.
   * @default looked up at deploy time with `DescribeTable` (`Table.LatestStreamArn`)
   */
  readonly streamArn?: string;
  /** What happens to a created table when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

const attributeType = (type: KeyAttribute['type']): dynamodb.AttributeType =>
  type === 'S'
    ? dynamodb.AttributeType.STRING
    : type === 'N'
      ? dynamodb.AttributeType.NUMBER
      : dynamodb.AttributeType.BINARY;

/**
 * A region's replicated table, created or imported by name.
 *
 * Created: on-demand, stream `NEW_AND_OLD_IMAGES`, point-in-time recovery, TTL on `<prefix>ttl` (so
 * tombstones expire) and deletion protection. Imported: the table must already stream
 * `NEW_AND_OLD_IMAGES` and expire `<prefix>ttl` by TTL (see the runbook); nothing about it changes.
 */
export class ReplicatedTable extends Construct {
  /** The table (with its stream ARN). */
  public readonly table: dynamodb.ITable;
  /** ARN of the table's stream. */
  public readonly tableStreamArn: string;
  /** True when this stack created the table. */
  public readonly created: boolean;

  public constructor(scope: Construct, id: string, props: ReplicatedTableProps) {
    super(scope, id);
    this.created = props.create !== undefined;
    if (props.create !== undefined) {
      if (props.streamArn !== undefined) {
        throw new Error(
          `ReplicatedTable ${this.node.path}: streamArn is for imported tables; a created table's stream is known from the table (remove streamArn)`,
        );
      }
      const { partitionKey, sortKey } = props.create;
      const table = new dynamodb.Table(this, 'Table', {
        tableName: props.tableName,
        partitionKey: { name: partitionKey.name, type: attributeType(partitionKey.type) },
        ...(sortKey === undefined
          ? {}
          : { sortKey: { name: sortKey.name, type: attributeType(sortKey.type) } }),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        timeToLiveAttribute: metadataNamesFor(props.metadataPrefix ?? '_ds_').expires,
        deletionProtection: true,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      });
      // aws-cdk-lib's `Table` declares `tableStreamArn: string | undefined` where `ITable` has an optional
      // property; it is not typed for `exactOptionalPropertyTypes`, so the class is widened to its interface.
      this.table = table as dynamodb.ITable;
      this.tableStreamArn = table.tableStreamArn!;
      return;
    }
    this.tableStreamArn = props.streamArn ?? this.lookUpStreamArn(props.tableName);
    this.table = dynamodb.Table.fromTableAttributes(this, 'Table', {
      tableName: props.tableName,
      tableStreamArn: this.tableStreamArn,
    });
  }

  /** Reads the table's current stream ARN at deploy time; synthesis stays offline. */
  private lookUpStreamArn(tableName: string): string {
    const tableArn = Stack.of(this).formatArn({
      service: 'dynamodb',
      resource: 'table',
      resourceName: tableName,
    });
    const role = new iam.Role(this, 'StreamLookupRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `dynasync: reads the stream ARN of table ${tableName}`,
    });
    const logGroup = new logs.LogGroup(this, 'StreamLookupLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(role);
    const call: cr.AwsSdkCall = {
      service: 'DynamoDB',
      action: 'describeTable',
      parameters: { TableName: tableName },
      outputPaths: ['Table.LatestStreamArn'],
      physicalResourceId: cr.PhysicalResourceId.fromResponse('Table.LatestStreamArn'),
    };
    const lookup = new cr.AwsCustomResource(this, 'StreamLookup', {
      onCreate: call,
      onUpdate: call,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable'], resources: [tableArn] }),
      ]),
      role,
      logGroup,
      installLatestAwsSdk: false,
    });
    return lookup.getResponseField('Table.LatestStreamArn');
  }
}
