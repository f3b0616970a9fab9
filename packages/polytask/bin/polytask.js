#!/usr/bin/env node
// Launcher of the polytask CLI (committed, so package managers can link it before the build).
// It restarts itself once with --single-threaded-gc: V8's parallel GC helper threads otherwise
// compete with the extraction workers for the cores (1.66x vs 1.75x with 2 workers on 2 cores).
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

if (!process.execArgv.includes('--single-threaded-gc') && !process.env.POLYTASK_NO_RESPAWN) {
  // The trainer runs in a process group of its own, so each signal reaches it exactly once:
  // forwarded from here (Ctrl-C, kill -INT/-TERM/-HUP of this process). If this process dies,
  // the trainer sees its IPC channel close and stops after the batch as on Ctrl-C.
  const child = spawn(
    process.execPath,
    ['--single-threaded-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      detached: true,
      env: { ...process.env, POLYTASK_LAUNCHER_PID: String(process.pid) },
    },
  );
  const forwarded = new Set();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.on(signal, () => {
      forwarded.add(signal);
      child.kill(signal);
    });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 128 + (os.constants.signals[signal] ?? 2) : 1);
    // a trainer stopped from outside (kill -9, the system's out-of-memory killer) says nothing itself
    if (signal && !forwarded.has(signal)) {
      const training = ['run', 'resume'].includes(process.argv[2] ?? '');
      const cause = signal === 'SIGKILL' ? ' (killed from outside, or by the system when memory ran out)' : '';
      const next = training
        ? "; what it finished is saved: `polytask resume <run folder>` continues the run (its folder is under the config's runsDirectory)"
        : '';
      process.stderr.write(`polytask: the process was stopped by ${signal}${cause}${next}\n`);
    }
  });
} else {
  // launched by the branch above: a launcher that dies while this process starts ends it at once
  // (nothing is written yet); from main() on, its death stops the run after the batch
  // (the variable alone is no proof: a job scheduler may hand a launcher's environment to a later process)
  const launched = process.env.POLYTASK_LAUNCHER_PID !== undefined && typeof process.send === 'function';
  let handedOver = false;
  if (launched) {
    if (!process.connected) process.exit(130);
    process.once('disconnect', () => {
      if (!handedOver) process.exit(130);
    });
  }
  const { main } = await import('../dist/cli.js');
  handedOver = true;
  // main() takes its stop-signal listeners off when it returns, and the process may live on a moment
  // (threads winding down); a stop signal then has nothing left to stop and must not kill it with
  // the default action (exit 143 after a finished run). Listening from here on closes that window.
  const finished = () => {};
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, finished);
  process.exitCode = await main(process.argv.slice(2));
}
