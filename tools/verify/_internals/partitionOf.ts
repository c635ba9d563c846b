/**
 * The partition of a canonical key at a split level: FNV-1a over the key's UTF-16 code units with a
 * seed per level, finished with MurmurHash3's avalanche. Deterministic across processes; a partition
 * split again at the next level spreads evenly over its sub-partitions.
 */
export const partitionOf = (keyId: string, level: number, fanout: number): number => {
  let h = (0x811c9dc5 ^ Math.imul(level + 1, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < keyId.length; i += 1) {
    h ^= keyId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % fanout;
};
