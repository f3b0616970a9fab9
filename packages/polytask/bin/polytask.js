#!/usr/bin/env node
// Launcher of the polytask CLI (committed, so package managers can link it before the build).
// It restarts itself once with --single-threaded-gc: V8's parallel GC helper threads otherwise
// compete with the extraction workers for the cores (1.66x vs 1.75x with 2 workers on 2 cores).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

if (!process.execArgv.includes('--single-threaded-gc') && !process.env.POLYTASK_NO_RESPAWN) {
  const child = spawn(
    process.execPath,
    ['--single-threaded-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  // Ctrl-C reaches the child too (same process group); it finishes its batch and exits
  process.on('SIGINT', () => {});
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 130 : 1);
  });
} else {
  const { main } = await import('../dist/cli.js');
  process.exitCode = await main(process.argv.slice(2));
}
