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

/**
 * The `--endpoint-url <region>=<url>` flags to append to a suggested `dynasync` command for the
 * given regions whose endpoint is local (a copied command then reaches the same DynamoDB Local,
 * even when this run's endpoint came from `--endpoint-url`); empty for AWS endpoints.
 * @example
 * localEndpointFlags({ 'eu-west-1': { table: 't', endpoint: 'http://127.0.0.1:8001' } }, ['eu-west-1'])
 * // ' --endpoint-url eu-west-1=http://127.0.0.1:8001'
 */
export const localEndpointFlags = (
  regions: Readonly<Record<string, { readonly endpoint?: string | undefined }>>,
  names: readonly string[] = Object.keys(regions),
): string =>
  names
    .map((name) => [name, regions[name]?.endpoint] as const)
    .filter(([, endpoint]) => isLocalEndpoint(endpoint))
    .map(([name, endpoint]) => ` --endpoint-url ${name}=${endpoint}`)
    .join('');
