import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/loadConfig.js';
import { KEY_HASH_SALT_FILE, keyHasherOf, resolveKeyHasher } from '../../keys/keyHasher.js';
import { LocalKeyProvider } from '../../keys/LocalKeyProvider.js';
import { conflictAuditEntry } from '../../replicator/merge/conflictAudit.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
const folder = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dynasync-keyhash-'));
  dirs.push(dir);
  return dir;
};

const KEY_ID = '{"pk":{"S":"alice@example.com"}}';
/** What keyHash used to be: guessable by hashing candidate keys. */
const unsalted = (keyId: string) => createHash('sha256').update(keyId).digest('hex').slice(0, 12);

const configIn = (dir: string, keys?: Record<string, unknown>) =>
  parseConfig({
    version: 1,
    name: 'keyhash',
    regions: { 'eu-west-1': { table: 'aaa' }, 'us-east-1': { table: 'bbb' } },
    topology: { type: 'active-active' },
    replicator: { checkpointDir: join(dir, 'state') },
    ...(keys === undefined ? {} : { keys }),
  });

describe('keyHash: an HMAC under the deployment key', () => {
  it('is 12 hex digits, stable under one key, different under another, and never the unsalted SHA-256 prefix', () => {
    const one = keyHasherOf(randomBytes(32));
    const two = keyHasherOf(randomBytes(32));
    expect(one(KEY_ID)).toMatch(/^[0-9a-f]{12}$/);
    expect(one(KEY_ID)).toBe(one(KEY_ID));
    expect(one(KEY_ID)).not.toBe(one('{"pk":{"S":"bob@example.com"}}'));
    expect(one(KEY_ID)).not.toBe(two(KEY_ID));
    expect(one(KEY_ID)).not.toBe(unsalted(KEY_ID));
  });

  it('uses the masking key where the config has one: every region computes the same hashes', async () => {
    const dir = await folder();
    const key = randomBytes(32);
    await writeFile(join(dir, 'masking.key'), key.toString('base64'));
    const config = configIn(dir, { type: 'local', file: join(dir, 'masking.key') });
    const eu = await resolveKeyHasher(config, 'eu-west-1');
    const us = await resolveKeyHasher(config, 'us-east-1', {
      keys: new LocalKeyProvider({ source: { file: join(dir, 'masking.key') } }),
    });
    expect(eu(KEY_ID)).toBe(keyHasherOf(key)(KEY_ID));
    expect(us(KEY_ID)).toBe(eu(KEY_ID));
    await expect(stat(join(dir, 'state', KEY_HASH_SALT_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('without a masking key, creates a 0600 salt file on first use and reuses it', async () => {
    const dir = await folder();
    const config = configIn(dir);
    const first = await resolveKeyHasher(config, 'eu-west-1');
    const path = join(dir, 'state', KEY_HASH_SALT_FILE);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const salt = await readFile(path, 'utf8');
    const again = await resolveKeyHasher(config, 'us-east-1');
    expect(again(KEY_ID)).toBe(first(KEY_ID));
    expect(await readFile(path, 'utf8')).toBe(salt);
    expect(first(KEY_ID)).not.toBe(unsalted(KEY_ID));
    // Concurrent first uses agree on one salt.
    const other = await folder();
    const hashers = await Promise.all(
      Array.from({ length: 4 }, () => resolveKeyHasher(configIn(other), 'eu-west-1')),
    );
    expect(new Set(hashers.map((hasher) => hasher(KEY_ID))).size).toBe(1);
  });

  it('rejects a salt file that is not one, naming it', async () => {
    const dir = await folder();
    const config = configIn(dir);
    await resolveKeyHasher(config, 'eu-west-1');
    const path = join(dir, 'state', KEY_HASH_SALT_FILE);
    await chmod(path, 0o600);
    await writeFile(path, 'short');
    await expect(resolveKeyHasher(config, 'eu-west-1')).rejects.toMatchObject({
      code: 'config.invalidField',
      payload: { file: path },
    });
  });

  it('conflict audit entries carry the hash they are given, not one of their own', () => {
    const hasher = keyHasherOf(randomBytes(32));
    const entry = conflictAuditEntry({
      at: new Date(0),
      keyHash: hasher(KEY_ID),
      sourceRegion: 'eu-west-1',
      targetRegion: 'us-east-1',
      localClock: {},
      remoteClock: {},
      localVersion: undefined,
      remoteVersion: undefined,
      outcome: 'merged',
      attempts: 1,
    });
    expect(entry.keyHash).toBe(hasher(KEY_ID));
    expect(entry.keyHash).not.toBe(unsalted(KEY_ID));
  });
});
