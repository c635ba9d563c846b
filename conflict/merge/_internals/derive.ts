import type { AttributeValue } from '../../../core/types.js';
import { addDecimals } from '../../_internals/decimal.js';

/** The key of a set element in `<prefix>sd`: type letter and canonical text (`s:red`, `n:1.5`, `b:<base64>`). */
export const elementKeys = (value: AttributeValue, path: string): string[] => {
  if ('SS' in value) return value.SS.map((s) => `s:${s}`);
  if ('NS' in value) return value.NS.map((n) => `n:${addDecimals([n], path)}`);
  if ('BS' in value) return value.BS.map((b) => `b:${Buffer.from(b).toString('base64')}`);
  return [];
};

/** The set value of element keys (all of one type); `undefined` for none. */
export const setFromKeys = (keys: readonly string[]): AttributeValue | undefined => {
  const sorted = [...keys].sort();
  if (sorted.length === 0) return undefined;
  const type = sorted[0]!.slice(0, 1);
  const texts = sorted.filter((key) => key.startsWith(`${type}:`)).map((key) => key.slice(2));
  if (type === 's') return { SS: texts };
  if (type === 'n') return { NS: texts };
  return { BS: texts.map((text) => new Uint8Array(Buffer.from(text, 'base64'))) };
};

/** A counter's value: the exact sum of its regions' contributions. */
export const counterValue = (perRegion: Readonly<Record<string, string>>, path: string): AttributeValue => ({
  N: addDecimals(Object.values(perRegion), path),
});

/** Byte order of texts, `undefined` lowest: the order of HLC version texts. */
export const compareText = (a: string | undefined, b: string | undefined): number => {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
};
