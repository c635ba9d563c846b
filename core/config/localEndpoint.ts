/** True for an endpoint on this machine (`localhost`, `127.x.x.x`, `[::1]`): DynamoDB Local, most likely. */
export const isLocalEndpoint = (endpoint: string | undefined): boolean =>
  endpoint !== undefined && /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/i.test(endpoint);

/**
 * What to add to a "table does not exist" message when the endpoint is local: DynamoDB Local started
 * without `-sharedDb` keeps one set of tables per access key and signing region, so a table created
 * with other credentials or another region name (the AWS CLI's default region, a test's `local`) is
 * invisible to dynasync. Empty for any other endpoint.
 */
export const localMissingTableHint = (endpoint: string | undefined): string =>
  isLocalEndpoint(endpoint)
    ? ` (${endpoint} looks like DynamoDB Local: without -sharedDb it keeps separate tables per access key and region, so a table created with other credentials or another --region is not seen here: start it with -sharedDb)`
    : '';
