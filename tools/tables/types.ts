/** One key attribute of a table to create. */
export interface KeyAttributeSpec {
  readonly name: string;
  /** DynamoDB scalar type. */
  readonly type: 'S' | 'N' | 'B';
}

/** The key schema every region's table gets: a partition key and an optional sort key. */
export interface KeySpec {
  readonly partitionKey: KeyAttributeSpec;
  readonly sortKey?: KeyAttributeSpec;
}

/** Where {@link KeySpec} came from, for the report. */
export type KeySource = 'options' | 'config' | 'existing table';

/** What `dynasync tables create` does with one region's table. */
export type TablePlan =
  | {
      readonly action: 'create';
      readonly region: string;
      readonly table: string;
      readonly keys: KeySpec;
      /** TTL attribute to enable: the tombstone expiry attribute (`<prefix>ttl`). */
      readonly ttlAttribute: string;
    }
  | {
      readonly action: 'fits';
      readonly region: string;
      readonly table: string;
      /** What fits but is worth knowing (TTL off or on another attribute). */
      readonly notes: readonly string[];
    }
  | {
      readonly action: 'misfit';
      readonly region: string;
      readonly table: string;
      /** Each reason the table cannot be used as it is, with the fix. */
      readonly mismatches: readonly string[];
    };

/** What DescribeTable and DescribeTimeToLive tell of an existing table, reduced to what the plan reads. */
export interface ExistingTable {
  /** Partition key first, then the sort key, with their types (`?` when not defined). */
  readonly keys: readonly { readonly name: string; readonly type: string }[];
  /** Stream view type when a stream is enabled, undefined when there is none. */
  readonly streamViewType: string | undefined;
  /** TTL attribute when TTL is on. */
  readonly ttlAttribute: string | undefined;
}
