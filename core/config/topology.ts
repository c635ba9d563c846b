import type { Config } from './types.js';

/**
 * The regions a region ships its changes to.
 * One-way: the source ships to every `to` region, the others ship nothing.
 * Active-active: every region ships to every other.
 */
export const peersOf = (config: Config, region: string): string[] => {
  if (config.topology.type === 'one-way')
    return config.topology.from === region ? [...config.topology.to] : [];
  return Object.keys(config.regions).filter((name) => name !== region);
};

/** The metadata attribute names for a prefix (default `_ds_`). */
export const metadataNames = (config: Pick<Config, 'metadata'>) => metadataNamesFor(config.metadata.prefix);

/** The metadata attribute names for a prefix. */
export const metadataNamesFor = (prefix: string) =>
  ({
    /** Version of the item's content (hybrid logical clock, sortable text). */
    version: `${prefix}v`,
    /** Present (true) when the item was written by a replicator; removed by every stamped application write. */
    replicated: `${prefix}rep`,
    /** Present (true) on a delete marker (tombstone). */
    deleted: `${prefix}del`,
    /** Epoch seconds after which TTL may remove a tombstone. */
    expires: `${prefix}ttl`,
  }) as const;

/** Metadata attribute names of a deployment. */
export type MetadataNames = ReturnType<typeof metadataNamesFor>;
