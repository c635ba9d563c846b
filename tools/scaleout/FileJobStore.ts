import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { PRIVATE_FILE_MODE } from '../../core/privateFile.js';
import type { JobStore } from './protocol.js';

/** Folders the store creates: only their owner may list them. */
const PRIVATE_DIR_MODE = 0o700;

const checkKey = (key: string): void => {
  if (key === '' || key.startsWith('/') || key.split('/').some((part) => part === '..' || part === ''))
    throw new Error(`FileJobStore: "${key}" is not a relative key`);
};

/**
 * A {@link JobStore} on the local file system, for the local engine: each key is a file under
 * `root` (files 0600, folders 0700). A put writes a temporary file and renames it, so a reader
 * never sees half an object and a worker that dies leaves the earlier one.
 *
 * @example
 * const store = new FileJobStore('/var/tmp/dynasync-jobs');
 * await store.put('jobs/j1/job.json', JSON.stringify(spec));
 */
export class FileJobStore implements JobStore {
  public constructor(public readonly root: string) {}

  public async put(key: string, body: string | Uint8Array): Promise<void> {
    checkKey(key);
    const path = join(this.root, key);
    await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(temporary, body, { mode: PRIVATE_FILE_MODE });
    await rename(temporary, path);
  }

  public async get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key);
    try {
      return await readFile(join(this.root, key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  public async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (!entry.name.endsWith('.tmp')) keys.push(relative(this.root, path).split(sep).join('/'));
      }
    };
    // Only the folders the prefix can be in are walked.
    const slash = prefix.lastIndexOf('/');
    await walk(join(this.root, slash === -1 ? '' : prefix.slice(0, slash)));
    return keys.filter((key) => key.startsWith(prefix)).sort();
  }
}
