/** The `name` of an error thrown by an AWS SDK call (`ExpiredIteratorException`, ...), or `Error`. */
export const errorName = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
    ? error.name
    : 'Error';

/** The message of any thrown value. */
export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** Names of the DynamoDB Streams errors the poller treats specially. */
export const StreamErrors = {
  /** A shard iterator is older than 15 minutes: get a new one from the checkpoint. */
  expiredIterator: 'ExpiredIteratorException',
  /** The records asked for are older than the stream's 24 h retention. */
  trimmedData: 'TrimmedDataAccessException',
  /** The stream or the shard does not exist (any more). */
  notFound: 'ResourceNotFoundException',
} as const;
