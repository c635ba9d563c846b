import { chmod, type FileHandle, open, stat, writeFile } from 'node:fs/promises';

/**
 * The mode of every file dynasync writes (dead letters, checkpoints, conflict audits, verify's
 * spill and `--output` files, the key-hash salt): owner read and write only. They may hold keys,
 * positions or records, so no other local user may read them.
 */
export const PRIVATE_FILE_MODE = 0o600;

/** True when a mode lets a group or other users read, write or run the file. */
const isShared = (mode: number): boolean => (mode & 0o077) !== 0;

/**
 * Makes an existing file private (`chmod 600`) when it is not: a file created by an older version,
 * or by hand, keeps no wider mode once dynasync writes it. A missing file is left missing.
 */
export const makePrivate = async (path: string): Promise<void> => {
  try {
    if (isShared((await stat(path)).mode)) await chmod(path, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
};

/**
 * Opens a file with {@link PRIVATE_FILE_MODE} (`flags` as for `fs.open`): created private, and an
 * existing one with a wider mode made private first.
 */
export const openPrivate = async (path: string, flags: string): Promise<FileHandle> => {
  const file = await open(path, flags, PRIVATE_FILE_MODE);
  try {
    if (isShared((await file.stat()).mode)) await file.chmod(PRIVATE_FILE_MODE);
  } catch (error) {
    await file.close();
    throw error;
  }
  return file;
};

/** `writeFile` for a private file: created with {@link PRIVATE_FILE_MODE}, an existing one made private. */
export const writePrivateFile = async (
  path: string,
  data: string,
  options: { readonly flush?: boolean } = {},
): Promise<void> => {
  await writeFile(path, data, { encoding: 'utf8', mode: PRIVATE_FILE_MODE, ...options });
  await makePrivate(path);
};
