import { appendFile } from 'node:fs/promises';
import { PRIVATE_FILE_MODE } from '../../../core/privateFile.js';
import type { JobStore } from '../protocol.js';

const decoder = new TextDecoder();

/** A stored object as text (UTF-8). */
export const textOf = (body: Uint8Array): string => decoder.decode(body);

/** A stored JSON object; `undefined` when there is none. */
export const getJson = async <T>(store: JobStore, key: string): Promise<T | undefined> => {
  const body = await store.get(key);
  return body === undefined ? undefined : (JSON.parse(textOf(body)) as T);
};

/** The stored objects `keys` as text, one after another (missing ones are skipped). */
export const getTexts = async (store: JobStore, keys: readonly string[]): Promise<string[]> => {
  const texts: string[] = [];
  for (const key of keys) {
    const body = await store.get(key);
    if (body !== undefined) texts.push(textOf(body));
  }
  return texts;
};

/** Appends a stored object to a local file (mode 0600; nothing when there is none). */
export const appendStored = async (store: JobStore, key: string, path: string): Promise<void> => {
  const body = await store.get(key);
  if (body !== undefined && body.byteLength > 0) await appendFile(path, body, { mode: PRIVATE_FILE_MODE });
};
