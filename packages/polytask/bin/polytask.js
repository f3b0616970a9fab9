#!/usr/bin/env node
// Launcher of the polytask CLI (committed, so package managers can link it before the build).
const { main } = await import('../dist/cli.js');
process.exitCode = await main(process.argv.slice(2));
