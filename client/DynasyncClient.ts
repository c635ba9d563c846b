import {
  type DeleteItemCommandInput,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  type GetItemCommandOutput,
  PutItemCommand,
  type PutItemCommandInput,
  type PutItemCommandOutput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { HybridLogicalClock } from '../conflict/HybridLogicalClock.js';
import { compareVersions, tryDecodeVersion, type Version } from '../conflict/version.js';
import { type MetadataNames, metadataNamesFor } from '../core/config/topology.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import type { Item } from '../core/types.js';
import { assertNotFromFuture, DEFAULT_CLIENT_MAX_CLOCK_SKEW_MS } from './_internals/assertNotFromFuture.js';
import { stampPut, stampUpdate, tombstonePut } from './stampParams.js';

/** Options of {@link DynasyncClient}. */
export interface DynasyncClientOptions {
  /** The application's DynamoDB client for this region. */
  readonly client: DynamoDBClient;
  /** The region this application writes in: the origin recorded in every version. */
  readonly region: string;
  /** Metadata attribute prefix; must match the config's `metadata.prefix`. @default "_ds_" */
  readonly prefix?: string;
  /** Days a delete marker is kept; should match the config's `tombstones.retentionDays`. @default 7 */
  readonly tombstoneRetentionDays?: number;
  /** The clock; share one per process and region. @default a new HybridLogicalClock(region) */
  readonly clock?: HybridLogicalClock;
  /** How often a write is stamped again when a peer's newer version is stored. @default 5 */
  readonly maxClockRetries?: number;
  /**
   * How far ahead of the wall clock a version may be; must match `replicator.maxClockSkewMs`. A write
   * that would carry a later version is refused (`client.versionFromFuture`), nothing is written.
   * @default 300000
   */
  readonly maxClockSkewMs?: number;
  /** The wall clock, epoch ms (also the default clock's). @default Date.now */
  readonly now?: () => number;
}

type Stored = { Item?: Record<string, unknown> };

/**
 * The application side of dynasync: every Put, Update and Delete is stamped with a new
 * hybrid-logical-clock version and origin, deletes become tombstones, and reads hide tombstones.
 * Writes through this client are what active-active replication needs; a write that bypasses it
 * is rejected by the replicator (active-active) or versioned from the stream (one-way).
 *
 * @example
 * const ds = new DynasyncClient({ client: new DynamoDBClient({ region: 'eu-west-1' }), region: 'eu-west-1' });
 * await ds.put({ TableName: 'orders', Item: { pk: { S: 'o#1' }, total: { N: '12.50' } } });
 * await ds.update({ TableName: 'orders', Key: { pk: { S: 'o#1' } }, UpdateExpression: 'SET total = :t', ExpressionAttributeValues: { ':t': { N: '13' } } });
 * await ds.delete({ TableName: 'orders', Key: { pk: { S: 'o#1' } } });
 * (await ds.get({ TableName: 'orders', Key: { pk: { S: 'o#1' } } })).Item; // undefined: deleted
 */
export class DynasyncClient {
  public readonly names: MetadataNames;
  private readonly clock: HybridLogicalClock;
  private readonly retentionSeconds: number;

  public constructor(private readonly options: DynasyncClientOptions) {
    this.names = metadataNamesFor(options.prefix ?? '_ds_');
    this.clock = options.clock ?? new HybridLogicalClock(options.region, options.now ?? Date.now);
    this.retentionSeconds = (options.tombstoneRetentionDays ?? 7) * 86_400;
  }

  /** PutItem with a version stamp. */
  public put(input: PutItemCommandInput): Promise<PutItemCommandOutput> {
    return this.stamped((version) =>
      this.options.client.send(new PutItemCommand(stampPut(input, version, this.names))),
    );
  }

  /** UpdateItem with a version stamp (an update of a deleted key revives it). */
  public update(input: UpdateItemCommandInput): Promise<UpdateItemCommandOutput> {
    return this.stamped((version) =>
      this.options.client.send(new UpdateItemCommand(stampUpdate(input, version, this.names))),
    );
  }

  /** Deletes by writing a tombstone that replicates and expires by TTL after the retention. */
  public delete(input: DeleteItemCommandInput): Promise<PutItemCommandOutput> {
    return this.stamped((version) =>
      this.options.client.send(
        new PutItemCommand(tombstonePut(input, version, this.names, this.retentionSeconds)),
      ),
    );
  }

  /** GetItem that returns no item for a tombstone. */
  public async get(input: GetItemCommandInput): Promise<GetItemCommandOutput> {
    const output = await this.options.client.send(new GetItemCommand(input));
    if (output.Item !== undefined && !this.isLive(output.Item as Item)) return { ...output, Item: undefined };
    return output;
  }

  /** False for a tombstone (a deleted item that is kept until TTL removes it). Use it on Query and Scan results. */
  public isLive(item: Item): boolean {
    const marker = item[this.names.deleted];
    return !(marker !== undefined && 'BOOL' in marker && marker.BOOL);
  }

  /** The item without dynasync's metadata attributes. */
  public stripMetadata(item: Item): Item {
    const prefix = this.options.prefix ?? '_ds_';
    return Object.fromEntries(Object.entries(item).filter(([name]) => !name.startsWith(prefix)));
  }

  private async stamped<T>(send: (version: Version) => Promise<T>): Promise<T> {
    const retries = this.options.maxClockRetries ?? 5;
    const wall = this.options.now ?? Date.now;
    const maxSkew = this.options.maxClockSkewMs ?? DEFAULT_CLIENT_MAX_CLOCK_SKEW_MS;
    for (let attempt = 0; ; attempt += 1) {
      const version = this.clock.now();
      assertNotFromFuture(version, wall(), maxSkew, this.options.region, 'stamp');
      try {
        return await send(version);
      } catch (error) {
        const stored = this.storedVersion(error);
        // The application's own condition failed (the stored version is older): not ours to handle.
        if (stored === undefined || compareVersions(stored, version) < 0) throw error;
        // A stored version far ahead would carry this clock (and every later write) into the future.
        assertNotFromFuture(stored, wall(), maxSkew, this.options.region, 'stored');
        this.clock.receive(stored);
        if (attempt >= retries) {
          throw new DynasyncError(
            ErrorCodes.client.clockBehind,
            `the stored item keeps a newer version than this client can stamp after ${retries + 1} tries; another region's clock may run far ahead`,
            { payload: { region: this.options.region }, cause: error },
          );
        }
      }
    }
  }

  private storedVersion(error: unknown): Version | undefined {
    if (
      typeof error !== 'object' ||
      error === null ||
      (error as { name?: string }).name !== 'ConditionalCheckFailedException'
    ) {
      return undefined;
    }
    const value = (error as Stored).Item?.[this.names.version] as { S?: string } | undefined;
    return value?.S === undefined ? undefined : tryDecodeVersion(value.S);
  }
}
