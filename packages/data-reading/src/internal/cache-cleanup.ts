/**
 * Removes what interrupted runs leave beside the caches of a reader: temporary and replaced
 * cache folders (`<key>.tmp-<pid>-*`, `<key>.old-<pid>-*`) of processes that no longer run,
 * journals (`<extractionKey>.partial`) of other extractions that no live process holds,
 * damaged caches moved aside (`<key>.damaged-*`), lock files written aside by crashed lock
 * attempts, and caches of the current extraction superseded by edited source files. Nothing
 * is touched while another live process holds that extraction's lock.
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive } from '@polytask/core';
import { tryLockCache } from './cache-lock';

const leftoverPattern =
  /^(?<key>[0-9a-f]{16})(?<sourceKey>-[0-9a-f]{16})?(?:\.(?:(?<kind>tmp|old)-(?<pid>\d+)-[a-z0-9]+|(?<journal>partial)|(?<damaged>damaged-.+)|lock\.(?<lockPid>\d+)\.[a-z0-9]+))?$/;

/** Options of {@link removeStaleCacheEntries}. */
export interface RemoveStaleCacheEntriesOptions {
  /** The folder holding a reader's caches (`<root>/<reader>`). */
  readonly readerDirectory: string;
  /** The extraction key whose lock this process holds: its journal is kept (the run resumes it). Undefined when no lock is held. */
  readonly currentExtractionKey: string | undefined;
  /** The cache directory name in use (`<extractionKey>-<sourceKey>`); other caches of the current extraction are superseded. */
  readonly currentCache: string;
  /** Also remove caches of the current extraction other than `currentCache` (after it was built). @default false */
  readonly removeSuperseded?: boolean;
}

/**
 * Removes stale leftovers of dead processes beside a reader's caches.
 * @returns the paths removed.
 */
export function removeStaleCacheEntries(options: RemoveStaleCacheEntriesOptions): string[] {
  let names: string[];
  try {
    names = readdirSync(options.readerDirectory);
  } catch {
    return [];
  }
  const byKey = new Map<string, { name: string; groups: Record<string, string | undefined> }[]>();
  for (const name of names) {
    const match = leftoverPattern.exec(name);
    if (!match?.groups) continue;
    const key = match.groups.key as string;
    byKey.set(key, [...(byKey.get(key) ?? []), { name, groups: match.groups }]);
  }
  const removed: string[] = [];
  for (const [key, entries] of byKey) {
    const isCurrent = key === options.currentExtractionKey;
    const candidates = entries.filter(({ name, groups }) => {
      const pid = groups.pid ?? groups.lockPid;
      if (pid !== undefined) return !isProcessAlive(Number(pid));
      if (groups.damaged !== undefined) return true;
      if (groups.journal !== undefined) return !isCurrent;
      const isCache = groups.sourceKey !== undefined;
      return isCache && isCurrent && options.removeSuperseded === true && name !== options.currentCache;
    });
    if (candidates.length === 0) continue;
    // another extraction's leftovers are removed under its lock, so its owner cannot start meanwhile
    const lock = isCurrent ? undefined : tryLockCache(path.join(options.readerDirectory, key));
    if (lock && !('release' in lock)) continue;
    try {
      for (const { name } of candidates) {
        const file = path.join(options.readerDirectory, name);
        try {
          rmSync(file, { recursive: true, force: true });
          removed.push(file);
        } catch {
          // a read-only leftover stays; the run goes on
        }
      }
    } finally {
      if (lock && 'release' in lock) lock.release();
    }
  }
  return removed;
}
