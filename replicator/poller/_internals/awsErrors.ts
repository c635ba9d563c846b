/** Names of the DynamoDB Streams errors the poller treats specially. */
export const StreamErrors = {
  /** A shard iterator is older than 15 minutes: get a new one from the checkpoint. */
  expiredIterator: 'ExpiredIteratorException',
  /** The records asked for are older than the stream's 24 h retention. */
  trimmedData: 'TrimmedDataAccessException',
  /** The stream or the shard does not exist (any more). */
  notFound: 'ResourceNotFoundException',
} as const;
