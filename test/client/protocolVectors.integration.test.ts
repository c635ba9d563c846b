import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatVectorFile, generateVectors } from '../../protocol/generateVectors.js';
import { REPO_ROOT } from '../helpers/childRun.js';
import { localClient } from '../helpers/dynamo.js';

const client = localClient(1);
afterAll(() => client.destroy());

describe('the committed protocol vectors', () => {
  it('equal a fresh generation from the TypeScript helpers on DynamoDB Local (run `npm run protocol:vectors` after a protocol change)', async () => {
    const files = await generateVectors(client);
    for (const [name, content] of Object.entries(files)) {
      const committed = await readFile(join(REPO_ROOT, 'protocol/vectors', name), 'utf8');
      expect(committed, `protocol/vectors/${name}`).toBe(formatVectorFile(content));
    }
  });
});
