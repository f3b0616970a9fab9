/**
 * One writer per run folder: a lock file holding the writer's pid and host, created exclusively.
 * A second `polytask run`/`resume` of the same folder is refused while the first is alive; a lock
 * left by a process that no longer exists (same host) is taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PolytaskError } from '@polytask/core';

/** Another live process writes the run folder. */
export class RunInUseError extends PolytaskError {
  constructor(options: { directory: string; pid: number; host: string; since: string }) {
    super({
      message: `${options.directory} is being written by process ${options.pid} on ${options.host} (since ${options.since}); wait for it to end or stop it (Ctrl-C, or kill -INT ${options.pid}) before resuming. If that process is gone, delete ${path.join(options.directory, lockFileName)}.`,
      context: { ...options },
    });
    this.name = 'RunInUseError';
  }

  static override isInstance(error: unknown): error is RunInUseError {
    return PolytaskError.isInstance(error) && error.name === 'RunInUseError';
  }
}

/** The lock file's name in a run folder. */
export const lockFileName = '.lock';

interface LockContents {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by someone else
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the run folder's lock; `release` gives it back (also done when the process exits).
 * @throws RunInUseError when a live process holds it.
 */
export function lockRun(directory: string): { release(): void } {
  const file = path.join(directory, lockFileName);
  const contents: LockContents = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(contents), { flag: 'wx' });
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        process.removeListener('exit', release);
        rmSync(file, { force: true });
      };
      process.once('exit', release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: LockContents | undefined;
    try {
      holder = JSON.parse(readFileSync(file, 'utf8')) as LockContents;
    } catch {
      // a lock torn by a crash while it was written: stale
    }
    if (holder && (holder.host !== os.hostname() || alive(holder.pid))) throw new RunInUseError({ directory, ...holder });
    rmSync(file, { force: true });
  }
  throw new RunInUseError({ directory, pid: -1, host: os.hostname(), since: 'now' });
}
