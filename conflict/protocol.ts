/**
 * The version of the stamping protocol (docs/protocol.md): the metadata attributes, their text formats and
 * the conditional requests with which an application writer stamps a put, an update or a delete under
 * `lww` and `merge`. Every change to any of these bumps it, and the conformance vectors
 * (protocol/vectors/*.json) carry the version they were generated for.
 */
export const PROTOCOL_VERSION = 1 as const;

/**
 * The protocol versions this replicator accepts from application writers. Items carry no version field:
 * a writer of an unaccepted version is one whose stamps this replicator cannot read, and its writes are
 * dead-lettered as `replicator.unstampedWrite` or `replicator.malformedRecord`.
 */
export const ACCEPTED_PROTOCOL_VERSIONS: readonly number[] = [1] as const;

/** Where the protocol is specified, named in dead letters of unstamped writes. */
export const PROTOCOL_DOC = 'docs/protocol.md' as const;
