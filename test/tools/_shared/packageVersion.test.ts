import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageVersion } from '../../../tools/_shared/packageVersion.js';
import { REPO_ROOT } from '../../helpers/childRun.js';

describe('packageVersion', () => {
  it("is package.json's version from the sources", () => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };

    expect(packageVersion()).toBe(manifest.version);
  });

  it("finds dynasync's package.json from a build folder, past a package.json of another name", async () => {
    const root = await mkdtemp(join(tmpdir(), 'dynasync-version-'));
    try {
      await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'dynasync', version: '9.8.7' }));
      const built = join(root, 'dist', 'tools', '_shared');
      await mkdir(built, { recursive: true });
      await writeFile(join(root, 'dist', 'package.json'), JSON.stringify({ type: 'module' }));

      expect(packageVersion(built)).toBe('9.8.7');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
