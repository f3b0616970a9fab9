// Fault injection for the fault-injection tests, loaded with `node --import` (through NODE_OPTIONS)
// into every process of a polytask command: SIGKILLs this process, with no cleanup, right before
// a rename whose destination matches POLYTASK_FAULT_RENAME (a regular expression), after letting
// POLYTASK_FAULT_SKIP (default 0) such renames through. Renames are how every Polytask write
// commits (checkpoints, result files, summaries, caches), so this kills at exact commit points.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const source = process.env.POLYTASK_FAULT_RENAME;
if (source && isMainThread) {
  const pattern = new RegExp(source);
  let skip = Number(process.env.POLYTASK_FAULT_SKIP ?? 0);
  const strike = (destination) => {
    if (!pattern.test(String(destination).replaceAll('\\', '/'))) return;
    if (skip-- > 0) return;
    process.kill(process.pid, 'SIGKILL');
  };
  const renameSync = fs.renameSync;
  fs.renameSync = function patchedRenameSync(from, to) {
    strike(to);
    return renameSync.call(this, from, to);
  };
  const rename = fs.promises.rename;
  fs.promises.rename = async function patchedRename(from, to) {
    strike(to);
    return rename.call(this, from, to);
  };
  syncBuiltinESMExports();
}

// POLYTASK_FAULT_EXIT_SIGNAL: sends this process that signal once its work is done (on
// 'beforeExit'), the moment a late Ctrl-C or scheduler SIGTERM can meet a finished command.
const exitSignal = process.env.POLYTASK_FAULT_EXIT_SIGNAL;
if (exitSignal && isMainThread) process.once('beforeExit', () => process.kill(process.pid, exitSignal));
