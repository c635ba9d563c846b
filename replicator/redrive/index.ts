export { FileDeadLetterSource } from './FileDeadLetterSource.js';
export type { RedriveOptions } from './redrive.js';
export { redrive } from './redrive.js';
export type { SqsDeadLetterSourceOptions } from './SqsDeadLetterSource.js';
export { SqsDeadLetterSource } from './SqsDeadLetterSource.js';
export type { DeadLetterSource, RedriveOutcome, RedriveReport, StoredDeadLetter } from './types.js';
export { RedriveOutcomes } from './types.js';
