import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLineChunks, readLines, SpillFiles } from '../../../tools/verify/_internals/SpillFiles.js';
import { checkAsyncProperty } from '../../helpers/laws.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dynasync-spillfiles-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Lines as spills hold them: no newline, any other text, some longer than a 32 KiB buffer. */
const line = (): fc.Arbitrary<string> =>
  fc
    .oneof(
      { weight: 20, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }) },
      { weight: 1, arbitrary: fc.constantFrom('é'.repeat(12_000), 'x'.repeat(40_000), '😀'.repeat(9_000)) },
    )
    .map((text) => text.replace(/[\n\r]/g, ' ').replace(/[\ud800-\udfff]/g, '?'));

let run = 0;
describe('SpillFiles', () => {
  it('law: what is added to a partition is read back, in order, whatever the text and line sizes', async () => {
    await checkAsyncProperty(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: 3 }), line()), { maxLength: 200 }),
        fc.array(fc.nat({ max: 200 }), { maxLength: 4 }),
        async (added, flushAfter) => {
          const files = SpillFiles.create(dir, `law-${run++}`, 4);
          for (const [index, [partition, text]] of added.entries()) {
            files.add(partition, text);
            if (flushAfter.includes(index)) await files.flush();
          }
          await files.close();
          for (let partition = 0; partition < 4; partition += 1) {
            const expected = added.filter(([p]) => p === partition).map(([, text]) => text);
            const read: string[] = [];
            for await (const text of readLines(files.path(partition))) read.push(text);
            expect(read).toEqual(expected);
            expect(files.counts[partition]).toBe(expected.length);
            await files.remove(partition);
          }
        },
      ),
      50,
    );
  });

  it('reads a file of several 1 MiB chunks with multi-byte characters across chunk boundaries', async () => {
    // Prepare: 3-byte characters, so chunk boundaries fall inside characters.
    const files = SpillFiles.create(dir, 'chunks', 1);
    const lines = Array.from({ length: 30_000 }, (_, i) => `${i}\t${'€'.repeat(i % 97)}`);
    for (const text of lines) files.add(0, text);
    await files.close();
    // Act
    const chunks: string[][] = [];
    for await (const chunk of readLineChunks(files.path(0))) chunks.push(chunk);
    // Assess
    expect(files.bytes).toBeGreaterThan(3 * 1024 * 1024);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.flat()).toEqual(lines);
  });

  it('reads nothing from a partition that was never written', async () => {
    const read: string[] = [];
    for await (const text of readLines(join(dir, 'never-0.tsv'))) read.push(text);
    expect(read).toEqual([]);
  });
});
