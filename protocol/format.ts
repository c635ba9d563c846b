import type { WireAttributeValue, WireItem } from '../core/types.js';

/**
 * The shape of the conformance vectors in `protocol/vectors/*.json` (see protocol/README.md). Everything
 * is DynamoDB JSON as on the wire: numbers are decimal strings, binary is base64 text.
 */

/** Who writes: the options a conforming writer is configured with. */
export interface VectorWriter {
  readonly strategy: 'lww' | 'merge';
  readonly region: string;
  readonly prefix: string;
  readonly tombstoneRetentionDays: number;
  /** Merge only: strategy per attribute and for the rest. */
  readonly spec?: {
    readonly attributes: Readonly<Record<string, 'lww' | 'counter' | 'set'>>;
    readonly default: 'lww' | 'item';
  };
}

/** The writer's clock before the write: the wall clock (constant during the write) and the HLC state. */
export interface VectorClockState {
  readonly wallMs: number;
  /** The HLC's last issued or received time; absent for a fresh clock (0.0). */
  readonly hlc?: { readonly physicalMs: number; readonly logical: number };
}

/** The application's intended write, as it calls the helper. */
export type VectorWrite =
  | { readonly op: 'put'; readonly input: Record<string, unknown>; readonly keyNames?: readonly string[] }
  | { readonly op: 'update'; readonly input: Record<string, unknown> }
  | { readonly op: 'delete'; readonly input: Record<string, unknown> };

/** What DynamoDB answered to one request. */
export type VectorOutcome =
  | { readonly type: 'ok' }
  | { readonly type: 'item'; readonly item: WireItem | null }
  | { readonly type: 'conditionalCheckFailed'; readonly item?: WireItem };

/** One request the writer sends, exactly, and DynamoDB's answer. */
export interface VectorRequest {
  readonly operation: 'GetItem' | 'PutItem' | 'UpdateItem';
  readonly params: Record<string, unknown>;
  readonly outcome: VectorOutcome;
}

/** One write vector. */
export interface WriteVector {
  readonly name: string;
  readonly description: string;
  readonly writer: VectorWriter;
  readonly clock: VectorClockState;
  /** The stored item before the write; null for none. */
  readonly stored: WireItem | null;
  /** An item another writer stores right after the writer's first read (merge races). */
  readonly interference?: WireItem;
  readonly write: VectorWrite;
  /** Every request, in order. */
  readonly requests: readonly VectorRequest[];
  /** How the helper call ends: `ok`, or the error it raises (a DynasyncError code or a DynamoDB error name). */
  readonly result: { readonly type: 'ok' } | { readonly type: 'error'; readonly code: string };
  /** The stored item afterwards (set members sorted); null for none. */
  readonly after: WireItem | null;
}

/** One read vector: a stored state and whether a reader returns it or treats it as absent. */
export interface ReadVector {
  readonly name: string;
  readonly description: string;
  readonly prefix: string;
  readonly stored: WireItem | null;
  readonly absent: boolean;
}

/** A vector file. */
export interface VectorFile<T> {
  readonly protocolVersion: number;
  readonly description: string;
  readonly cases: readonly T[];
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A wire value with set members sorted (SS and BS by text, NS by text), recursively: sets are unordered. */
export const sortSets = (value: WireAttributeValue): WireAttributeValue => {
  if ('SS' in value) return { SS: [...value.SS].sort(compareText) };
  if ('NS' in value) return { NS: [...value.NS].sort(compareText) };
  if ('BS' in value) return { BS: [...value.BS].sort(compareText) };
  if ('M' in value) return { M: sortItemSets(value.M) };
  if ('L' in value) return { L: value.L.map(sortSets) };
  return value;
};

/** An item with every set's members sorted. */
export const sortItemSets = (item: WireItem): WireItem =>
  Object.fromEntries(Object.entries(item).map(([name, value]) => [name, sortSets(value)]));

/** Request params (as the SDK takes them) in JSON: binary as base64 text, undefined fields left out. */
export const toWireJson = (value: unknown): unknown => {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toWireJson);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, member]) => member !== undefined)
        .map(([name, member]) => [name, toWireJson(member)]),
    );
  return value;
};
