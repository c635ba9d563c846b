import { DynasyncError, ErrorCodes } from '../../../core/errors.js';
import type { AttributeValue, Item } from '../../../core/types.js';
import { addDecimals, subtractDecimals } from '../../_internals/decimal.js';
import type { VectorClock } from '../../vectorClock.js';
import { isMetadataName, type MergeMetadata, userAttributes, withMergeMetadata } from '../itemState.js';
import { strategyOf } from '../mergeItems.js';
import type { MergeNames, MergeSpec } from '../types.js';
import { counterValue, elementKeys, setFromKeys } from './derive.js';

/** `conflict.invalidWrite` naming the attribute an application write misuses. */
export const misuse = (path: string, message: string): DynasyncError =>
  new DynasyncError(ErrorCodes.conflict.invalidWrite, `${path}: ${message}`, { payload: { path } });

/** What a {@link StampDraft} is made for: the write's region, version, clock and the item's keys. */
export interface StampDraftSetup {
  readonly region: string;
  readonly version: string;
  /** The clock after the write (the region's entry incremented). */
  readonly clock: VectorClock;
  readonly keys: Item;
  readonly spec: MergeSpec;
  readonly names: MergeNames;
}

/**
 * The item an application write is building under the merge strategy (pure, in memory): user
 * attributes, attribute versions, counter contributions and set dots, copied from the stored item
 * and changed attribute by attribute. Keys are never changed; metadata cannot be written.
 */
export class StampDraft {
  /** The dot of this write: `<region>:<its clock entry>`. */
  private readonly dot: string;
  private readonly out: Record<string, AttributeValue>;
  private readonly attributeVersions: Record<string, string>;
  private readonly counters: Record<string, Record<string, string>>;
  private readonly setDots: Record<string, Record<string, readonly string[]>>;

  public constructor(
    stored: Item | undefined,
    meta: MergeMetadata,
    private readonly setup: StampDraftSetup,
  ) {
    const { region, clock, keys, names } = setup;
    this.dot = `${region}:${clock[region]}`;
    this.out = { ...(stored === undefined ? {} : userAttributes(stored, names)), ...keys };
    this.attributeVersions = { ...meta.attributeVersions };
    this.counters = Object.fromEntries(
      Object.entries(meta.counters).map(([name, perRegion]) => [name, { ...perRegion }]),
    );
    this.setDots = Object.fromEntries(
      Object.entries(meta.setDots).map(([name, perElement]) => [name, { ...perElement }]),
    );
  }

  private isKey(name: string): boolean {
    return this.setup.keys[name] !== undefined;
  }

  /** Sets a counter to `target`: this region's contribution absorbs the difference. */
  private setCounter(name: string, target: string): void {
    this.counters[name] ??= {};
    const perRegion = this.counters[name];
    const total = counterValue(perRegion, name);
    const own = perRegion[this.setup.region] ?? '0';
    perRegion[this.setup.region] = addDecimals(
      [own, subtractDecimals(target, 'N' in total ? total.N : '0', name)],
      name,
    );
    this.out[name] = counterValue(perRegion, name);
  }

  /** Sets a set to exactly these elements, each with this write's dot. */
  private setSet(name: string, keysOfElements: readonly string[]): void {
    this.setDots[name] = Object.fromEntries(keysOfElements.map((key) => [key, [this.dot]]));
    const value = setFromKeys(keysOfElements);
    if (value === undefined) delete this.out[name];
    else this.out[name] = value;
  }

  /** Sets an attribute as its strategy says (counter, set, or a versioned value). */
  public setAttribute(name: string, value: AttributeValue): void {
    if (isMetadataName(name, this.setup.names))
      throw misuse(name, 'dynasync metadata cannot be written by the application');
    if (this.isKey(name)) return;
    const strategy = strategyOf(this.setup.spec, name);
    if (strategy === 'counter') {
      if (!('N' in value)) throw misuse(name, 'a counter attribute takes numbers (N) only');
      this.setCounter(name, value.N);
    } else if (strategy === 'set') {
      const elements = elementKeys(value, name);
      if (elements.length === 0) throw misuse(name, 'a set attribute takes SS, NS or BS values only');
      this.setSet(name, elements);
    } else {
      this.out[name] = value;
      if (strategy === 'lww') this.attributeVersions[name] = this.setup.version;
    }
  }

  /** Removes an attribute as its strategy says (a counter goes to 0, a set is emptied); keys and metadata stay. */
  public removeAttribute(name: string): void {
    if (this.isKey(name) || isMetadataName(name, this.setup.names)) return;
    const strategy = strategyOf(this.setup.spec, name);
    if (strategy === 'counter') this.setCounter(name, '0');
    else if (strategy === 'set') this.setSet(name, []);
    else {
      delete this.out[name];
      if (strategy === 'lww') this.attributeVersions[name] = this.setup.version;
    }
  }

  /** Every user attribute the item has or has state for (not keys, not metadata). */
  public everyAttribute(): string[] {
    const { names } = this.setup;
    return [
      ...new Set([
        ...Object.keys(this.out),
        ...Object.keys(this.attributeVersions),
        ...Object.keys(this.counters),
        ...Object.keys(this.setDots),
      ]),
    ].filter((name) => !this.isKey(name) && !isMetadataName(name, names));
  }

  /** Adds `delta` to this region's contribution to a counter. */
  public addToCounter(name: string, delta: string): void {
    if (strategyOf(this.setup.spec, name) !== 'counter')
      throw misuse(name, 'only counter attributes can be incremented');
    this.counters[name] ??= {};
    const perRegion = this.counters[name];
    perRegion[this.setup.region] = addDecimals([perRegion[this.setup.region] ?? '0', delta], name);
    this.out[name] = counterValue(perRegion, name);
  }

  /** Adds elements to a set, each with this write's dot. */
  public addToSet(name: string, value: AttributeValue): void {
    if (strategyOf(this.setup.spec, name) !== 'set') throw misuse(name, 'only set attributes take addToSet');
    this.setDots[name] ??= {};
    const perElement = this.setDots[name];
    for (const key of elementKeys(value, name)) perElement[key] = [this.dot];
    const added = setFromKeys(Object.keys(perElement));
    if (added !== undefined) this.out[name] = added;
  }

  /** Removes elements from a set (and their dots). */
  public removeFromSet(name: string, value: AttributeValue): void {
    if (strategyOf(this.setup.spec, name) !== 'set')
      throw misuse(name, 'only set attributes take removeFromSet');
    this.setDots[name] ??= {};
    const perElement = this.setDots[name];
    for (const key of elementKeys(value, name)) delete perElement[key];
    const remaining = setFromKeys(Object.keys(perElement));
    if (remaining === undefined) delete this.out[name];
    else this.out[name] = remaining;
  }

  /**
   * The stamped item: the deletion flag versioned, a tombstone (`deletion` given: a delete) marked
   * with its expiry, empty set dots dropped, and the merge metadata written.
   */
  public finish(deletion: { readonly expiresAt: string } | undefined): Item {
    const { names, version, clock } = this.setup;
    const { out, attributeVersions, counters, setDots } = this;
    attributeVersions[names.deleted] = version;
    delete out[names.deleted];
    delete out[names.expires];
    if (deletion !== undefined) {
      out[names.deleted] = { BOOL: true };
      out[names.expires] = { N: deletion.expiresAt };
    }
    for (const name of Object.keys(setDots))
      if (Object.keys(setDots[name]!).length === 0) delete setDots[name];
    return withMergeMetadata(out, { clock, version, attributeVersions, counters, setDots }, names);
  }
}
