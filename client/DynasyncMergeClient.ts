import {
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
  PutItemCommand,
  type PutItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { HybridLogicalClock } from '../conflict/HybridLogicalClock.js';
import { type MergeWrite, stampMergeWrite } from '../conflict/merge/stampMergeWrite.js';
import { type MergeNames, type MergeSpec, mergeNamesFor } from '../conflict/merge/types.js';
import { encodeVersion, tryDecodeVersion } from '../conflict/version.js';
import { decodeItem } from '../core/codec.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import type { AttributeValue, Item } from '../core/types.js';
import { buildMergePutInput } from '../replicator/merge/MergePeerWriter.js';
import { assertNotFromFuture, DEFAULT_CLIENT_MAX_CLOCK_SKEW_MS } from './_internals/assertNotFromFuture.js';

/** Options of {@link DynasyncMergeClient}. */
export interface DynasyncMergeClientOptions {
  /** The application's DynamoDB client for this region. */
  readonly client: DynamoDBClient;
  /** The region this application writes in: its vector-clock entry and the origin of versions. */
  readonly region: string;
  /** The config's `conflict.attributes` and `conflict.default`. @default every attribute per-attribute LWW */
  readonly spec?: MergeSpec;
  /** Metadata attribute prefix; must match the config's `metadata.prefix`. @default "_ds_" */
  readonly prefix?: string;
  /** Days a delete marker is kept; should match `tombstones.retentionDays`. @default 7 */
  readonly tombstoneRetentionDays?: number;
  /** The clock; share one per process and region. @default a new HybridLogicalClock(region) */
  readonly clock?: HybridLogicalClock;
  /** Read-stamp-write attempts when another writer changes the item in between. @default 10 */
  readonly maxAttempts?: number;
  /**
   * How far ahead of the wall clock a version may be; must match `replicator.maxClockSkewMs`. A write
   * that would carry a later version is refused (`client.versionFromFuture`), nothing is written.
   * @default 300000
   */
  readonly maxClockSkewMs?: number;
  /** The wall clock, epoch ms (also the default clock's). @default Date.now */
  readonly now?: () => number;
}

/** An update of the merge strategy, in attributes (see {@link MergeWrite}). */
export interface MergeUpdateInput {
  readonly TableName: string;
  readonly Key: Record<string, AttributeValue>;
  readonly set?: Item;
  readonly remove?: readonly string[];
  readonly add?: Readonly<Record<string, string>>;
  readonly addToSet?: Readonly<Record<string, AttributeValue>>;
  readonly removeFromSet?: Readonly<Record<string, AttributeValue>>;
}

/**
 * The application side of `conflict.strategy: "merge"`. Every write reads the item (consistently),
 * stamps it with the region's next vector-clock entry, a new HLC version and the per-attribute state
 * the merges need (attribute versions, counter contributions, set dots), and writes it back on
 * condition that the clock is unchanged, retrying when another writer got in between. Writes are in
 * attributes (`set`, `remove`, `add` for counters, `addToSet`/`removeFromSet`), not expressions, so the
 * per-attribute state is exact.
 *
 * Cost: a strongly consistent read and a conditional put per write.
 *
 * @example
 * const ds = new DynasyncMergeClient({ client, region: 'eu-west-1', spec: { attributes: { views: 'counter' }, default: 'lww' } });
 * await ds.update({ TableName: 'pages', Key: { pk: { S: 'p#1' } }, add: { views: '1' }, set: { title: { S: 'Home' } } });
 */
export class DynasyncMergeClient {
  public readonly names: MergeNames;
  private readonly clock: HybridLogicalClock;
  private readonly spec: MergeSpec;
  private readonly retentionSeconds: number;

  public constructor(private readonly options: DynasyncMergeClientOptions) {
    this.names = mergeNamesFor(options.prefix ?? '_ds_');
    this.clock = options.clock ?? new HybridLogicalClock(options.region, options.now ?? Date.now);
    this.spec = options.spec ?? { attributes: {}, default: 'lww' };
    this.retentionSeconds = (options.tombstoneRetentionDays ?? 7) * 86_400;
  }

  /**
   * Replaces the item (attributes not given are removed; counters reset to 0).
   * @param keyNames the table's key attribute names (e.g. `['pk']` or `['pk', 'sk']`), taken from `Item`.
   */
  public put(input: { readonly TableName: string; readonly Item: Item }, keyNames: readonly string[]) {
    const keys = Object.fromEntries(keyNames.map((name) => [name, input.Item[name]!]));
    return this.write(input.TableName, keys, { type: 'put', item: input.Item });
  }

  /** Updates attributes. */
  public update(input: MergeUpdateInput): Promise<PutItemCommandOutput> {
    const { TableName, Key, ...rest } = input;
    return this.write(TableName, Key, { type: 'update', ...rest });
  }

  /** Deletes by writing a tombstone (concurrent writes that are newer keep what they wrote). */
  public delete(input: { readonly TableName: string; readonly Key: Record<string, AttributeValue> }) {
    return this.write(input.TableName, input.Key, { type: 'delete' });
  }

  /** GetItem (consistent) that returns no item for a tombstone. */
  public async get(input: {
    readonly TableName: string;
    readonly Key: Record<string, AttributeValue>;
  }): Promise<Item | undefined> {
    const item = await this.read(input.TableName, input.Key);
    const deleted = item?.[this.names.deleted];
    return deleted !== undefined && 'BOOL' in deleted && deleted.BOOL ? undefined : item;
  }

  private async read(table: string, key: Record<string, AttributeValue>): Promise<Item | undefined> {
    const output: GetItemCommandOutput = await this.options.client.send(
      new GetItemCommand({ TableName: table, Key: key as never, ConsistentRead: true }),
    );
    return output.Item === undefined ? undefined : decodeItem(output.Item);
  }

  private async write(table: string, keys: Item, write: MergeWrite): Promise<PutItemCommandOutput> {
    const attempts = this.options.maxAttempts ?? 10;
    for (let attempt = 1; ; attempt += 1) {
      const stored = await this.read(table, keys as Record<string, AttributeValue>);
      const storedVersion = stored?.[this.names.version];
      const seen =
        storedVersion !== undefined && 'S' in storedVersion ? tryDecodeVersion(storedVersion.S) : undefined;
      const wallMs = (this.options.now ?? Date.now)();
      const maxSkew = this.options.maxClockSkewMs ?? DEFAULT_CLIENT_MAX_CLOCK_SKEW_MS;
      // A stored version far ahead would carry this clock (and every later write) into the future.
      if (seen !== undefined) assertNotFromFuture(seen, wallMs, maxSkew, this.options.region, 'stored');
      if (seen !== undefined) this.clock.receive(seen);
      const version = this.clock.now();
      assertNotFromFuture(version, wallMs, maxSkew, this.options.region, 'stamp');
      const item = stampMergeWrite(stored, keys, write, {
        region: this.options.region,
        version: encodeVersion(version),
        expiresAt: String(Math.floor(version.physicalMs / 1000) + this.retentionSeconds),
        spec: this.spec,
        names: this.names,
      });
      const expected =
        stored === undefined
          ? ('absent' as const)
          : {
              clock: textOf(stored[this.names.clock]),
              version: textOf(stored[this.names.version]),
            };
      try {
        return await this.options.client.send(
          new PutItemCommand(buildMergePutInput(table, item, expected, this.names)),
        );
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name !== 'ConditionalCheckFailedException') throw error;
        if (attempt >= attempts)
          throw new DynasyncError(
            ErrorCodes.conflict.mergeContended,
            `the item kept changing during ${attempts} read-stamp-write attempts; retry the write`,
            { payload: { region: this.options.region }, cause: error },
          );
      }
    }
  }
}

const textOf = (value: AttributeValue | undefined): string | undefined =>
  value !== undefined && 'S' in value ? value.S : undefined;
