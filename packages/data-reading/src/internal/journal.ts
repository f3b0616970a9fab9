/**
 * The extraction journal: features are appended to `<cache>.partial/journal.bin` as items
 * finish, and a JSON line per item to `journal.jsonl` after its bytes are written, so an
 * interrupted or failed run keeps its work and the next run extracts only what is left.
 * A torn last line or missing bytes are ignored.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { asCacheWriteError } from '@polytask/task-dataset';

/** A journal entry: where an item's features are in `journal.bin`. */
export interface JournalEntry {
  readonly id: string;
  /** Byte offset in journal.bin. */
  readonly offset: number;
  readonly shape: readonly number[];
  readonly values: number;
  /** Size, modification time and path(s) of the source file(s) when extracted (changed files are redone). */
  readonly source?: { readonly bytes: number; readonly modified: number; readonly file?: string };
}

/** An open journal. */
export interface Journal {
  /** Entries recovered from a previous run plus those appended now. */
  readonly entries: ReadonlyMap<string, JournalEntry>;
  append(id: string, data: Float32Array, shape: readonly number[], source?: JournalEntry['source']): void;
  read(entry: JournalEntry): Float32Array;
  close(): void;
  /** Closes and deletes the journal. */
  remove(): void;
}

/** Runs a file-system write, turning a full, read-only or forbidden folder into a StorageError naming `file`. */
function writing<Result>(file: string, write: () => Result): Result {
  try {
    return write();
  } catch (error) {
    throw asCacheWriteError(error, file);
  }
}

/**
 * Opens (or creates) the journal folder for a cache directory. Only the holder of the cache's
 * lock may open it: one writer per journal.
 * @throws StorageError when the journal cannot be written (disk full, read-only or forbidden folder).
 */
export function openJournal(cacheDirectory: string): Journal {
  const directory = `${cacheDirectory}.partial`;
  writing(directory, () => mkdirSync(directory, { recursive: true }));
  const binaryPath = path.join(directory, 'journal.bin');
  const linesPath = path.join(directory, 'journal.jsonl');
  const entries = new Map<string, JournalEntry>();
  const binary = writing(binaryPath, () => openSync(binaryPath, 'a+'));
  const binaryBytes = fstatSync(binary).size;
  if (existsSync(linesPath)) {
    for (const line of readFileSync(linesPath, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const entry = JSON.parse(line) as JournalEntry;
        if (entry.offset + entry.values * 4 <= binaryBytes) entries.set(entry.id, entry);
      } catch {
        // a torn last line from an interrupted run
      }
    }
  }
  const lines = writing(linesPath, () => openSync(linesPath, 'a'));
  let end = binaryBytes;
  return {
    entries,
    append(id, data, shape, source) {
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      let written = 0;
      writing(binaryPath, () => {
        while (written < bytes.length) written += writeSync(binary, bytes, written, bytes.length - written, end + written);
      });
      const entry: JournalEntry = { id, offset: end, shape: [...shape], values: data.length, ...(source ? { source } : {}) };
      end += bytes.length;
      writing(linesPath, () => writeSync(lines, `${JSON.stringify(entry)}\n`));
      entries.set(id, entry);
    },
    read(entry) {
      const data = new Float32Array(entry.values);
      const read = readSync(binary, new Uint8Array(data.buffer), 0, entry.values * 4, entry.offset);
      if (read !== entry.values * 4) throw new Error(`journal ${binaryPath} is shorter than its entry for ${entry.id}`);
      return data;
    },
    close() {
      closeSync(binary);
      closeSync(lines);
    },
    remove() {
      this.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
