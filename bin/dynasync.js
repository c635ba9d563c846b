#!/usr/bin/env node
// The `dynasync` command: runs the compiled CLI (built by `npm install` through the `prepare` script).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
await import('../dist/tools/cli.js');
