/**
 * Writes protocol/vectors/*.json by running the TypeScript helpers against a DynamoDB Local this script
 * starts (and ends, by its process id). `npm run protocol:vectors`; `-- --check` only compares and exits 1
 * when a committed file differs from a fresh generation.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalDynamo } from '../tools/localDynamo.js';
import { formatVectorFile, generateVectors } from './generateVectors.js';

const VECTORS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'vectors');

const main = async (): Promise<number> => {
  const check = process.argv.includes('--check');
  const local = await startLocalDynamo();
  const client = new DynamoDBClient({
    endpoint: local.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const files = await generateVectors(client);
    let differing = 0;
    for (const [name, content] of Object.entries(files)) {
      const path = join(VECTORS_DIR, name);
      const text = formatVectorFile(content);
      if (check) {
        const committed = await readFile(path, 'utf8').catch(() => '');
        if (committed !== text) {
          differing += 1;
          console.error(`protocol/vectors/${name} differs from a fresh generation`);
        }
      } else {
        await writeFile(path, text);
        console.log(`protocol/vectors/${name}: ${(content.cases as unknown[]).length} cases`);
      }
    }
    return differing === 0 ? 0 : 1;
  } finally {
    client.destroy();
    await local.stop();
  }
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`protocol:vectors failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
