import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../core/errors.js';
import type { Pipeline } from '../../../pipeline/types.js';
import { letterProtector, protectMessage } from '../../../replicator/deadLetter/protectLetter.js';
import type { DeadLetter } from '../../../replicator/deadLetter/types.js';
import { streamRecord } from '../../helpers/factories.js';

const letter = (message: string, targets = ['us-east-1']): DeadLetter => ({
  id: randomUUID(),
  kind: 'streamRecord',
  record: streamRecord({
    newImage: { pk: { S: 'ada@example.com' }, byEmail: { M: { 'ada@example.com': { N: '1' } } } },
    region: 'eu-west-1',
  }),
  sourceRegion: 'eu-west-1',
  targetRegions: targets,
  error: { code: ErrorCodes.pipeline.invalidOutput, message },
  attempts: 1,
  firstFailureAt: '2026-11-20T10:00:00.000Z',
  lastFailureAt: '2026-11-20T10:00:00.000Z',
  configVersion: 'abc',
});

const masking = { masks: true, deadLetterRecord: 'omit' } as unknown as Pipeline;
const plain = { masks: false, deadLetterRecord: 'omit' } as unknown as Pipeline;

describe('letterProtector: error messages of masking peers', () => {
  it('drops map keys and quoted values from the message of a redacted letter; other peers keep theirs', () => {
    // Prepare: messages as the codec and the pipeline write them, with a map key and a value.
    const message =
      'pipeline for us-east-1: a map stage returned an invalid item at output.byEmail.ada@example.com.N ("ada@example.com" is not a number; codec.invalidNumber)';
    const protect = letterProtector({ 'us-east-1': masking, 'ap-south-1': plain });

    // Act
    const masked = protect(letter(message));
    const clear = protect(letter(message, ['ap-south-1']));

    // Assess
    expect(masked.recordRedacted).toBe(true);
    expect(JSON.stringify(masked)).not.toContain('ada@example.com');
    expect(masked.error).toEqual({
      code: ErrorCodes.pipeline.invalidOutput,
      message:
        'pipeline for us-east-1: a map stage returned an invalid item at output.… ("…" is not a number; codec.invalidNumber)',
    });
    expect(clear.error.message).toBe(message);
  });

  it('keeps stage, attribute and rule names, and error codes', () => {
    expect(protectMessage('mask stage "pii": tokenize of "email" failed (TypeError)')).toBe(
      'mask stage "pii": tokenize of "email" failed (TypeError)',
    );
    expect(protectMessage('failed: pipeline.keySchemaViolation at "pk"')).toBe(
      'failed: pipeline.keySchemaViolation at "pk"',
    );
  });

  it('law: a map key (no spaces, quotes or brackets) inside a path or a quote never survives', () => {
    const mapKey = fc.stringMatching(/^[A-Za-z0-9@._+-]{3,24}$/).filter((key) => /[@+]/.test(key));
    fc.assert(
      fc.property(mapKey, fc.constantFrom('NewImage', 'output', 'Keys'), (key, root) => {
        const message = `invalid value at ${root}.byEmail.${key}.S; "${key}" rejected; at items[2].${key}`;
        expect(protectMessage(message)).not.toContain(key);
      }),
    );
  });
});
