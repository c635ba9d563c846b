import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynasyncClient } from '../client/DynasyncClient.js';
import { DynasyncMergeClient, type MergeUpdateInput } from '../client/DynasyncMergeClient.js';
import { HybridLogicalClock } from '../conflict/HybridLogicalClock.js';
import { PROTOCOL_VERSION } from '../conflict/protocol.js';
import { decodeItem, encodeItem } from '../core/codec.js';
import { isDynasyncError } from '../core/errors.js';
import type { Item, WireItem } from '../core/types.js';
import {
  type ReadVector,
  sortItemSets,
  toWireJson,
  type VectorClockState,
  type VectorFile,
  type VectorRequest,
  type VectorWrite,
  type VectorWriter,
  type WriteVector,
} from './format.js';

/** The table every vector writes to. */
export const VECTOR_TABLE = 'dynasync-vectors';

/** 2025-12-01T12:00:00.000Z: the wall clock of most vectors. */
const WALL = 1_764_590_400_000;
const EU = 'eu-west-1';
const US = 'us-east-1';
const v = (ms: number, logical: number, origin: string) =>
  `${String(ms).padStart(15, '0')}.${String(logical).padStart(6, '0')}.${origin}`;
const key = (name: string) => ({ pk: { S: name } });

const LWW: VectorWriter = { strategy: 'lww', region: EU, prefix: '_ds_', tombstoneRetentionDays: 7 };
const MERGE: VectorWriter = {
  strategy: 'merge',
  region: EU,
  prefix: '_ds_',
  tombstoneRetentionDays: 7,
  spec: { attributes: { views: 'counter', tags: 'set', sizes: 'set', blobs: 'set' }, default: 'lww' },
};

/** A vector before it is run: what the writer is given. */
interface VectorInput {
  readonly name: string;
  readonly description: string;
  readonly writer: VectorWriter;
  readonly clock: VectorClockState;
  readonly stored: WireItem | null;
  readonly interference?: WireItem;
  readonly write: VectorWrite;
}

const lww = (
  name: string,
  description: string,
  write: VectorWrite,
  options: Partial<Pick<VectorInput, 'stored' | 'clock' | 'writer'>> = {},
): VectorInput => ({
  name: `lww/${name}`,
  description,
  writer: options.writer ?? LWW,
  clock: options.clock ?? { wallMs: WALL },
  stored: options.stored ?? null,
  write,
});

const T = { TableName: VECTOR_TABLE };

/** The last-writer-wins puts. */
const LWW_PUT_INPUTS: readonly VectorInput[] = [
  lww('put/new-item', 'A put of a key that has no item: stamped with the wall clock, logical 0.', {
    op: 'put',
    input: { ...T, Item: { ...key('lww/put/new-item'), title: { S: 'hello' } } },
  }),
  lww(
    'put/exact-numbers-and-binary',
    'Numbers keep all 38 digits as text; binary passes through; other request fields are kept.',
    {
      op: 'put',
      input: {
        ...T,
        Item: {
          ...key('lww/put/exact-numbers-and-binary'),
          big: { N: '12345678901234567890123456789012345678' },
          small: { N: '-0.000000000000000000000000000000000001' },
          blob: { B: 'AAECAwQ=' },
          tags: { SS: ['a', 'b'] },
          doc: { M: { list: { L: [{ N: '1.50' }, { NULL: true }, { BOOL: false }] } } },
        },
        ReturnConsumedCapacity: 'TOTAL',
      },
    },
  ),
  lww(
    'put/over-replicated-tombstone',
    'A put over a tombstone a replicator wrote: the markers (rep, del, ttl) are not in the new item.',
    {
      op: 'put',
      input: { ...T, Item: { ...key('lww/put/over-replicated-tombstone'), title: { S: 'back' } } },
    },
    {
      stored: {
        ...key('lww/put/over-replicated-tombstone'),
        _ds_v: { S: v(WALL - 60_000, 0, US) },
        _ds_rep: { BOOL: true },
        _ds_del: { BOOL: true },
        _ds_ttl: { N: String(Math.floor((WALL - 60_000) / 1000) + 604_800) },
      },
    },
  ),
  lww(
    'put/application-condition',
    "The application's own condition is kept, in parentheses, before the clock guard.",
    {
      op: 'put',
      input: {
        ...T,
        Item: { ...key('lww/put/application-condition'), n: { N: '1' } },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': 'pk' },
      },
    },
  ),
  lww(
    'put/application-condition-fails',
    "The application's condition fails on an item with an older version: the error is the application's, no retry.",
    {
      op: 'put',
      input: {
        ...T,
        Item: { ...key('lww/put/application-condition-fails'), n: { N: '2' } },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      stored: {
        ...key('lww/put/application-condition-fails'),
        n: { N: '1' },
        _ds_v: { S: v(WALL - 1, 0, US) },
      },
    },
  ),
  lww(
    'put/catch-up-past-newer-stored-version',
    'The stored version is newer (a region whose clock runs 5 s ahead): the guard fails, the writer takes the stored version into its clock and stamps again.',
    {
      op: 'put',
      input: { ...T, Item: { ...key('lww/put/catch-up-past-newer-stored-version'), n: { N: '2' } } },
    },
    {
      stored: {
        ...key('lww/put/catch-up-past-newer-stored-version'),
        n: { N: '1' },
        _ds_v: { S: v(WALL + 5_000, 3, US) },
        _ds_rep: { BOOL: true },
      },
    },
  ),
  lww(
    'put/same-millisecond-other-region-wins-tie',
    'A stored version at the same millisecond and logical counter from a region that sorts after this one: the guard fails and the retry moves the logical counter on.',
    {
      op: 'put',
      input: { ...T, Item: { ...key('lww/put/same-millisecond-other-region-wins-tie'), n: { N: '2' } } },
    },
    {
      stored: {
        ...key('lww/put/same-millisecond-other-region-wins-tie'),
        _ds_v: { S: v(WALL, 0, US) },
      },
    },
  ),
  lww(
    'put/hlc-ahead-of-wall-clock',
    'The HLC has seen a time after the wall clock: the logical counter moves on.',
    { op: 'put', input: { ...T, Item: { ...key('lww/put/hlc-ahead-of-wall-clock'), n: { N: '1' } } } },
    { clock: { wallMs: WALL, hlc: { physicalMs: WALL + 10, logical: 2 } } },
  ),
  lww(
    'put/wall-clock-ahead-of-hlc',
    'The wall clock is past the HLC: the version takes the wall clock and logical 0.',
    { op: 'put', input: { ...T, Item: { ...key('lww/put/wall-clock-ahead-of-hlc'), n: { N: '1' } } } },
    { clock: { wallMs: WALL, hlc: { physicalMs: WALL - 1_000, logical: 7 } } },
  ),
  lww(
    'put/logical-counter-overflow',
    'The logical counter is at its largest (999999): the physical time moves on by 1 ms instead.',
    { op: 'put', input: { ...T, Item: { ...key('lww/put/logical-counter-overflow'), n: { N: '1' } } } },
    { clock: { wallMs: WALL, hlc: { physicalMs: WALL, logical: 999_999 } } },
  ),
];

/** The last-writer-wins updates. */
const LWW_UPDATE_INPUTS: readonly VectorInput[] = [
  lww('update/set', 'SET clause of the application: the version is set first inside it.', {
    op: 'update',
    input: {
      ...T,
      Key: key('lww/update/set'),
      UpdateExpression: 'SET #c = :c',
      ExpressionAttributeNames: { '#c': 'colour' },
      ExpressionAttributeValues: { ':c': { S: 'red' } },
    },
  }),
  lww(
    'update/add-only',
    'No SET and no REMOVE clause: both are appended.',
    {
      op: 'update',
      input: {
        ...T,
        Key: key('lww/update/add-only'),
        UpdateExpression: 'ADD hits :one',
        ExpressionAttributeValues: { ':one': { N: '1' } },
      },
    },
    { stored: { ...key('lww/update/add-only'), hits: { N: '41' }, _ds_v: { S: v(WALL - 5, 0, EU) } } },
  ),
  lww(
    'update/set-and-remove-lower-case',
    'Clause keywords in any case: the version goes into the existing SET, the markers into the existing REMOVE.',
    {
      op: 'update',
      input: {
        ...T,
        Key: key('lww/update/set-and-remove-lower-case'),
        UpdateExpression: 'set a = :a remove b',
        ExpressionAttributeValues: { ':a': { N: '3.14159265358979323846264338327950288' } },
      },
    },
    {
      stored: {
        ...key('lww/update/set-and-remove-lower-case'),
        b: { S: 'gone' },
        _ds_v: { S: v(WALL - 5, 0, US) },
        _ds_rep: { BOOL: true },
      },
    },
  ),
  lww(
    'update/revives-tombstone',
    'An update of a deleted key revives it: the markers are removed with the stamp.',
    {
      op: 'update',
      input: {
        ...T,
        Key: key('lww/update/revives-tombstone'),
        UpdateExpression: 'SET title = :t',
        ExpressionAttributeValues: { ':t': { S: 'again' } },
      },
    },
    {
      stored: {
        ...key('lww/update/revives-tombstone'),
        _ds_v: { S: v(WALL - 1_000, 0, US) },
        _ds_rep: { BOOL: true },
        _ds_del: { BOOL: true },
        _ds_ttl: { N: String(Math.floor((WALL - 1_000) / 1000) + 604_800) },
      },
    },
  ),
  lww(
    'update/catch-up-past-newer-stored-version',
    'An update whose guard fails on a newer stored version is stamped again past it.',
    {
      op: 'update',
      input: {
        ...T,
        Key: key('lww/update/catch-up-past-newer-stored-version'),
        UpdateExpression: 'SET title = :t',
        ExpressionAttributeValues: { ':t': { S: 'mine' } },
      },
    },
    {
      stored: {
        ...key('lww/update/catch-up-past-newer-stored-version'),
        title: { S: 'theirs' },
        _ds_v: { S: v(WALL + 250, 0, US) },
      },
    },
  ),
];

/** The last-writer-wins deletes. */
const LWW_DELETE_INPUTS: readonly VectorInput[] = [
  lww(
    'delete/existing-item',
    'A delete becomes the put of a tombstone: key, version, delete marker, expiry = version seconds + retention.',
    { op: 'delete', input: { ...T, Key: key('lww/delete/existing-item') } },
    { stored: { ...key('lww/delete/existing-item'), title: { S: 'x' }, _ds_v: { S: v(WALL - 5, 0, EU) } } },
  ),
  lww('delete/no-item', 'A delete of a key that has no item still writes the tombstone.', {
    op: 'delete',
    input: { ...T, Key: key('lww/delete/no-item') },
  }),
  lww(
    'delete/custom-prefix-and-retention',
    'Another metadata prefix and a retention of 1 day.',
    { op: 'delete', input: { ...T, Key: key('lww/delete/custom-prefix-and-retention') } },
    {
      writer: { ...LWW, prefix: 'sync_', tombstoneRetentionDays: 1 },
      stored: { ...key('lww/delete/custom-prefix-and-retention'), sync_v: { S: v(WALL - 5, 0, EU) } },
      clock: { wallMs: WALL + 999 },
    },
  ),
  lww(
    'delete/catch-up-past-newer-stored-version',
    'A delete whose guard fails on a newer stored version is stamped again past it.',
    { op: 'delete', input: { ...T, Key: key('lww/delete/catch-up-past-newer-stored-version') } },
    {
      stored: {
        ...key('lww/delete/catch-up-past-newer-stored-version'),
        title: { S: 'theirs' },
        _ds_v: { S: v(WALL + 2_000, 1, US) },
      },
    },
  ),
];

/** The last-writer-wins vectors, in the order of lww.json. */
const LWW_INPUTS: readonly VectorInput[] = [...LWW_PUT_INPUTS, ...LWW_UPDATE_INPUTS, ...LWW_DELETE_INPUTS];

const merge = (
  name: string,
  description: string,
  write: VectorWrite,
  options: Partial<Pick<VectorInput, 'stored' | 'clock' | 'writer' | 'interference'>> = {},
): VectorInput => ({
  name: `merge/${name}`,
  description,
  writer: options.writer ?? MERGE,
  clock: options.clock ?? { wallMs: WALL },
  stored: options.stored ?? null,
  ...(options.interference === undefined ? {} : { interference: options.interference }),
  write,
});

/** A stored item both regions have written under merge. */
const mergedItem = (name: string): WireItem => ({
  ...key(name),
  title: { S: 'old' },
  colour: { S: 'blue' },
  views: { N: '7' },
  tags: { SS: ['green', 'red'] },
  _ds_vc: { S: 'eu-west-1:2,us-east-1:3' },
  _ds_v: { S: v(WALL - 1_000, 0, US) },
  _ds_av: {
    M: {
      _ds_del: { S: v(WALL - 1_000, 0, US) },
      colour: { S: v(WALL - 2_000, 0, EU) },
      title: { S: v(WALL - 1_000, 0, US) },
    },
  },
  _ds_cn: { M: { views: { M: { 'eu-west-1': { N: '2' }, 'us-east-1': { N: '5' } } } } },
  _ds_sd: {
    M: {
      tags: { M: { 's:green': { SS: ['eu-west-1:2'] }, 's:red': { SS: ['eu-west-1:1', 'us-east-1:3'] } } },
    },
  },
  _ds_rep: { BOOL: true },
});

/** The merge vectors, in the order of merge.json. */
const MERGE_INPUTS: readonly VectorInput[] = [
  merge(
    'update/set-new-item',
    'An update of a key with no item: clock {eu:1}, attribute versions, no condition on a clock.',
    {
      op: 'update',
      input: { ...T, Key: key('merge/update/set-new-item'), set: { title: { S: 'hello' } } },
    },
  ),
  merge(
    'update/set-and-remove',
    'Set one attribute, remove another: both get the write version in _ds_av; the put is conditioned on the clock read.',
    {
      op: 'update',
      input: {
        ...T,
        Key: key('merge/update/set-and-remove'),
        set: { title: { S: 'new' } },
        remove: ['colour'],
      },
    },
    { stored: mergedItem('merge/update/set-and-remove') },
  ),
  merge(
    'update/counter-add',
    "A counter increment adds to this region's contribution; the value is the exact sum of contributions.",
    { op: 'update', input: { ...T, Key: key('merge/update/counter-add'), add: { views: '-0.25' } } },
    { stored: mergedItem('merge/update/counter-add') },
  ),
  merge(
    'update/counter-set',
    "Setting a counter moves this region's contribution by the difference.",
    { op: 'update', input: { ...T, Key: key('merge/update/counter-set'), set: { views: { N: '100' } } } },
    { stored: mergedItem('merge/update/counter-set') },
  ),
  merge(
    'update/set-add-and-remove-elements',
    'Adding an element gives it the dot of this write; removing one drops its dots.',
    {
      op: 'update',
      input: {
        ...T,
        Key: key('merge/update/set-add-and-remove-elements'),
        addToSet: { tags: { SS: ['blue', 'green'] } },
        removeFromSet: { tags: { SS: ['red'] } },
      },
    },
    { stored: mergedItem('merge/update/set-add-and-remove-elements') },
  ),
  merge(
    'update/number-and-binary-sets',
    'Number elements are keyed by their canonical text (1.50 → n:1.5), binary ones by base64.',
    {
      op: 'update',
      input: {
        ...T,
        Key: key('merge/update/number-and-binary-sets'),
        addToSet: { sizes: { NS: ['1.50', '10', '-2E+3'] }, blobs: { BS: ['AAE=', '/w=='] } },
      },
    },
  ),
  merge(
    'update/legacy-item-without-clock',
    'A stored item with a version but no vector clock (written before merge was turned on): the condition checks the version.',
    {
      op: 'update',
      input: { ...T, Key: key('merge/update/legacy-item-without-clock'), add: { views: '1' } },
    },
    {
      stored: {
        ...key('merge/update/legacy-item-without-clock'),
        views: { N: '5' },
        title: { S: 'legacy' },
        _ds_v: { S: v(WALL - 10_000, 0, US) },
      },
    },
  ),
  merge(
    'update/stored-version-ahead',
    'The stored version is ahead of the wall clock: the writer takes it into its HLC from the read, so its version is newer.',
    {
      op: 'update',
      input: { ...T, Key: key('merge/update/stored-version-ahead'), set: { title: { S: 'mine' } } },
    },
    {
      stored: {
        ...mergedItem('merge/update/stored-version-ahead'),
        _ds_v: { S: v(WALL + 3_000, 4, US) },
      },
    },
  ),
  merge(
    'put/replaces-item',
    'A put replaces the item: attributes not given are removed (versioned), counters reset to 0 by contribution, sets emptied.',
    {
      op: 'put',
      input: { ...T, Item: { ...key('merge/put/replaces-item'), title: { S: 'fresh' } } },
      keyNames: ['pk'],
    },
    { stored: mergedItem('merge/put/replaces-item') },
  ),
  merge('put/new-item-with-counter-and-set', 'A put of a new item with a counter and a set.', {
    op: 'put',
    input: {
      ...T,
      Item: {
        ...key('merge/put/new-item-with-counter-and-set'),
        views: { N: '3' },
        tags: { SS: ['b', 'a'] },
      },
    },
    keyNames: ['pk'],
  }),
  merge(
    'delete/existing-item',
    'A delete is a tombstone that removes every attribute it has seen, with _ds_del and _ds_ttl.',
    { op: 'delete', input: { ...T, Key: key('merge/delete/existing-item') } },
    { stored: mergedItem('merge/delete/existing-item') },
  ),
  merge(
    'put/revives-tombstone',
    'A put over a tombstone: the markers go, the clock goes on.',
    {
      op: 'put',
      input: { ...T, Item: { ...key('merge/put/revives-tombstone'), title: { S: 'back' } } },
      keyNames: ['pk'],
    },
    {
      stored: {
        ...key('merge/put/revives-tombstone'),
        _ds_del: { BOOL: true },
        _ds_ttl: { N: String(Math.floor((WALL - 1_000) / 1000) + 604_800) },
        _ds_vc: { S: 'us-east-1:4' },
        _ds_v: { S: v(WALL - 1_000, 0, US) },
        _ds_av: { M: { _ds_del: { S: v(WALL - 1_000, 0, US) }, title: { S: v(WALL - 1_000, 0, US) } } },
        _ds_rep: { BOOL: true },
      },
    },
  ),
  merge(
    'update/whole-item-default',
    'Under default "item", unlisted attributes get no per-attribute version.',
    {
      op: 'update',
      input: { ...T, Key: key('merge/update/whole-item-default'), set: { title: { S: 'x' } } },
    },
    { writer: { ...MERGE, spec: { attributes: { views: 'counter' }, default: 'item' } } },
  ),
  merge(
    'update/lost-race-retries',
    'Another writer stores the item between the read and the put: the put fails on the clock, the writer reads again and stamps on the new state.',
    { op: 'update', input: { ...T, Key: key('merge/update/lost-race-retries'), add: { views: '1' } } },
    {
      stored: mergedItem('merge/update/lost-race-retries'),
      interference: {
        ...mergedItem('merge/update/lost-race-retries'),
        views: { N: '8' },
        _ds_vc: { S: 'eu-west-1:2,us-east-1:4' },
        _ds_v: { S: v(WALL - 500, 0, US) },
        _ds_cn: { M: { views: { M: { 'eu-west-1': { N: '2' }, 'us-east-1': { N: '6' } } } } },
      },
    },
  ),
  merge(
    'update/metadata-is-not-writable',
    'An application write of a metadata attribute is refused before anything is written.',
    {
      op: 'update',
      input: {
        ...T,
        Key: key('merge/update/metadata-is-not-writable'),
        set: { _ds_vc: { S: 'eu-west-1:9' } },
      },
    },
  ),
];

/** The read vectors: stored states and whether a reader sees them. */
const readVectors = (): ReadVector[] => {
  const r = (
    name: string,
    description: string,
    stored: WireItem | null,
    absent: boolean,
    prefix = '_ds_',
  ) => ({
    name: `read/${name}`,
    description,
    prefix,
    stored,
    absent,
  });
  return [
    r('no-item', 'No item at all.', null, true),
    r(
      'live-item',
      'A stamped live item.',
      { ...key('a'), n: { N: '1' }, _ds_v: { S: v(WALL, 0, EU) } },
      false,
    ),
    r(
      'lww-tombstone',
      'A tombstone (_ds_del true): absent.',
      { ...key('a'), _ds_v: { S: v(WALL, 0, EU) }, _ds_del: { BOOL: true }, _ds_ttl: { N: '1765195200' } },
      true,
    ),
    r(
      'replicated-tombstone',
      'A tombstone a replicator wrote: absent.',
      { ...key('a'), _ds_v: { S: v(WALL, 0, US) }, _ds_rep: { BOOL: true }, _ds_del: { BOOL: true } },
      true,
    ),
    r(
      'merge-tombstone',
      'A merge tombstone with its clock and state: absent.',
      {
        ...key('a'),
        _ds_del: { BOOL: true },
        _ds_ttl: { N: '1765195200' },
        _ds_vc: { S: 'eu-west-1:3' },
        _ds_v: { S: v(WALL, 0, EU) },
        _ds_av: { M: { _ds_del: { S: v(WALL, 0, EU) } } },
      },
      true,
    ),
    r(
      'delete-marker-false',
      '_ds_del false is no tombstone.',
      { ...key('a'), _ds_del: { BOOL: false } },
      false,
    ),
    r(
      'delete-marker-not-bool',
      '_ds_del that is not a BOOL is no tombstone.',
      { ...key('a'), _ds_del: { S: 'true' } },
      false,
    ),
    r('unstamped-item', 'An item without metadata is live.', { ...key('a'), n: { N: '1' } }, false),
    r(
      'other-prefix',
      'With prefix sync_, only sync_del marks a tombstone.',
      { ...key('a'), _ds_del: { BOOL: true }, sync_del: { BOOL: false } },
      false,
      'sync_',
    ),
  ];
};

/** A client that sends to DynamoDB Local and records each request and its answer. */
const recordingClient = (real: DynamoDBClient, interference: WireItem | undefined) => {
  const requests: VectorRequest[] = [];
  let pendingInterference = interference;
  const client = {
    send: async (command: GetItemCommand | PutItemCommand) => {
      const operation = command.constructor.name.replace(/Command$/, '') as VectorRequest['operation'];
      const params = toWireJson(command.input) as Record<string, unknown>;
      try {
        const output = await real.send(command as never);
        const item = (output as { Item?: Record<string, unknown> }).Item;
        requests.push({
          operation,
          params,
          outcome:
            operation === 'GetItem'
              ? { type: 'item', item: item === undefined ? null : encodeItem(decodeItem(item)) }
              : { type: 'ok' },
        });
        if (operation === 'GetItem' && pendingInterference !== undefined) {
          await real.send(
            new PutItemCommand({ TableName: VECTOR_TABLE, Item: decodeItem(pendingInterference) as never }),
          );
          pendingInterference = undefined;
        }
        return output;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          const item = error.Item;
          requests.push({
            operation,
            params,
            outcome: {
              type: 'conditionalCheckFailed',
              ...(item === undefined ? {} : { item: encodeItem(decodeItem(item)) }),
            },
          });
        }
        throw error;
      }
    },
  };
  return { client: client as unknown as DynamoDBClient, requests };
};

/** A writer's HLC in the vector's state, reading the vector's constant wall clock. */
export const vectorClock = (writer: VectorWriter, state: VectorClockState): HybridLogicalClock => {
  const clock = new HybridLogicalClock(writer.region, () => state.wallMs);
  if (state.hlc !== undefined) clock.receive({ ...state.hlc, origin: writer.region });
  return clock;
};

/** Runs the TypeScript helper on a vector's write with a client; returns how the call ended. */
export const runWrite = async (
  client: DynamoDBClient,
  vector: Pick<WriteVector, 'writer' | 'clock' | 'write'>,
): Promise<WriteVector['result']> => {
  const { writer, write } = vector;
  const clock = vectorClock(writer, vector.clock);
  const input = decodeInput(write.input);
  try {
    if (writer.strategy === 'lww') {
      const ds = new DynasyncClient({
        client,
        region: writer.region,
        prefix: writer.prefix,
        tombstoneRetentionDays: writer.tombstoneRetentionDays,
        clock,
      });
      if (write.op === 'put') await ds.put(input as never);
      else if (write.op === 'update') await ds.update(input as never);
      else await ds.delete(input as never);
    } else {
      const ds = new DynasyncMergeClient({
        client,
        region: writer.region,
        prefix: writer.prefix,
        tombstoneRetentionDays: writer.tombstoneRetentionDays,
        clock,
        ...(writer.spec === undefined ? {} : { spec: writer.spec }),
      });
      if (write.op === 'put') await ds.put(input as never, write.keyNames ?? ['pk']);
      else if (write.op === 'update') await ds.update(input as unknown as MergeUpdateInput);
      else await ds.delete(input as never);
    }
    return { type: 'ok' };
  } catch (error) {
    if (isDynasyncError(error)) return { type: 'error', code: error.code };
    if (error instanceof ConditionalCheckFailedException) return { type: 'error', code: error.name };
    throw error;
  }
};

const ITEM_FIELDS = new Set(['Item', 'Key', 'ExpressionAttributeValues', 'set', 'addToSet', 'removeFromSet']);

/** A vector's write input in SDK form: the item-shaped fields decoded (binary to bytes). */
export const decodeInput = (input: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(input).map(([name, value]) => [
      name,
      ITEM_FIELDS.has(name) ? decodeItem(value, name) : value,
    ]),
  );

const storedItem = async (client: DynamoDBClient, keys: Item): Promise<WireItem | null> => {
  const { Item: item } = await client.send(
    new GetItemCommand({ TableName: VECTOR_TABLE, Key: keys as never, ConsistentRead: true }),
  );
  return item === undefined ? null : sortItemSets(encodeItem(decodeItem(item)));
};

const keysOf = (input: VectorInput): Item => {
  const raw = (input.write.input.Key ?? input.write.input.Item) as Record<string, unknown>;
  return decodeItem({ pk: raw.pk });
};

/** The vector files, generated by running the TypeScript helpers against DynamoDB Local. */
export const generateVectors = async (
  client: DynamoDBClient,
): Promise<{
  'lww.json': VectorFile<WriteVector>;
  'merge.json': VectorFile<WriteVector>;
  'reads.json': VectorFile<ReadVector>;
}> => {
  await client.send(new DeleteTableCommand({ TableName: VECTOR_TABLE })).catch(() => undefined);
  await client.send(
    new CreateTableCommand({
      TableName: VECTOR_TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const run = async (inputs: readonly VectorInput[]): Promise<WriteVector[]> => {
    const out: WriteVector[] = [];
    for (const input of inputs) {
      if (input.stored !== null)
        await client.send(
          new PutItemCommand({ TableName: VECTOR_TABLE, Item: decodeItem(input.stored) as never }),
        );
      const recorder = recordingClient(client, input.interference);
      const result = await runWrite(recorder.client, input);
      out.push({
        ...input,
        requests: recorder.requests,
        result,
        after: await storedItem(client, keysOf(input)),
      });
    }
    return out;
  };
  try {
    const file = <T>(description: string, cases: T[]): VectorFile<T> => ({
      protocolVersion: PROTOCOL_VERSION,
      description,
      cases,
    });
    return {
      'lww.json': file(
        'Writes under conflict.strategy "lww": the exact requests a conforming writer sends, and the stored item after them.',
        await run(LWW_INPUTS),
      ),
      'merge.json': file(
        'Writes under conflict.strategy "merge": a consistent read, then a conditional put of the stamped item.',
        await run(MERGE_INPUTS),
      ),
      'reads.json': file(
        'Stored states and whether a reader returns them (absent: false) or treats them as no item (absent: true).',
        readVectors(),
      ),
    };
  } finally {
    await client.send(new DeleteTableCommand({ TableName: VECTOR_TABLE })).catch(() => undefined);
  }
};

/** A vector file as committed: two-space JSON and a final newline. */
export const formatVectorFile = (file: unknown): string => `${JSON.stringify(file, null, 2)}\n`;
