/**
 * The feature cache key: a hash of everything that determines a cache's contents: the
 * reader's name and options, its tasks, the item listing (ids, paths, labels, groups,
 * split or fold, metadata), each source file's size and modification time (or content
 * hash), and the resolved extraction spec. What went into it is kept in the manifest.
 * The key is `<extractionKey>-<sourceKey>`: the first part (reader, options, spec) names the
 * lock and the journal, which outlive edits of single files; the second the listing and files.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { canonicalSpecJson, type ExtractionSpec, extractionSpecHash } from '@polytask/extraction';
import type { DataReader, DatasetItem } from '../data-reader';

/** How source files are fingerprinted for the cache key: size and modification time (stat only), or a hash of their content. */
export type SourceCheck = 'mtime' | 'content';

/** What went into a cache key, stored in the manifest so a user can see why a cache was (not) reused. */
export interface CacheKeyInputs {
  readonly reader: string;
  /** The reader's options (`DataReader.options`), or null when it gives none. */
  readonly readerOptions: unknown;
  /** The resolved extraction spec (parameters without effect left out). */
  readonly spec: ExtractionSpec;
  readonly specHash: string;
  /** Hash of reader name, reader options and spec: the first part of the key, naming the cache's lock and journal. */
  readonly extractionKey: string;
  /** Items listed by the reader. */
  readonly itemCount: number;
  /** Distinct source files fingerprinted. */
  readonly fileCount: number;
  /** Hash of the listing: ids, paths, labels, groups, split or fold, metadata, tasks. */
  readonly listingHash: string;
  readonly sourceCheck: SourceCheck;
  /** Hash of every source file's size and modification time (or content). */
  readonly sourceFingerprint: string;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

const hashJson = (value: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex')
    .slice(0, 16);

/** Files an item's audio comes from: its path, or the `sources` a `readAudio` reader names. */
const sourcesOf = (item: DatasetItem): readonly string[] => (item.path ? [item.path] : (item.sources ?? []));

async function contentHash(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Options of {@link computeCacheKey}. */
export interface ComputeCacheKeyOptions {
  readonly reader: DataReader;
  readonly items: readonly DatasetItem[];
  readonly spec: ExtractionSpec;
  /** @default 'mtime' */
  readonly sourceCheck?: SourceCheck;
}

/**
 * Computes the cache key (`<16 hex digits>-<16 hex digits>`) and what went into it. Stat-only by default: cheap
 * enough to run before every cache lookup.
 */
export async function computeCacheKey(options: ComputeCacheKeyOptions): Promise<{ key: string; inputs: CacheKeyInputs }> {
  const { reader, items, spec } = options;
  const sourceCheck = options.sourceCheck ?? 'mtime';
  const listing = {
    tasks: reader.tasks,
    foldCount: reader.foldCount ?? null,
    items: items.map((item) => ({
      id: item.id,
      path: item.path === undefined ? null : path.resolve(item.path),
      sources: item.path ? null : (item.sources ?? []).map((file) => path.resolve(file)),
      labels: item.labels,
      group: item.group ?? null,
      split: item.split ?? null,
      fold: item.fold ?? null,
      metadata: item.metadata ?? null,
    })),
  };
  const files = [...new Set(items.flatMap((item) => sourcesOf(item).map((file) => path.resolve(file))))].sort();
  const fingerprints: unknown[] = [];
  for (const file of files) {
    try {
      const info = await stat(file);
      fingerprints.push(sourceCheck === 'content' ? [file, info.size, await contentHash(file)] : [file, info.size, info.mtimeMs]);
    } catch {
      // a missing file fails its extraction; here it only changes the key
      fingerprints.push([file, null]);
    }
  }
  const specHash = extractionSpecHash(spec);
  const readerOptions = reader.options === undefined ? null : canonical(reader.options);
  const extractionKey = hashJson({ reader: reader.name, readerOptions, spec: JSON.parse(canonicalSpecJson(spec)) });
  const inputs: CacheKeyInputs = {
    reader: reader.name,
    readerOptions,
    spec,
    specHash,
    extractionKey,
    itemCount: items.length,
    fileCount: files.length,
    listingHash: hashJson(listing),
    sourceCheck,
    sourceFingerprint: hashJson(fingerprints),
  };
  const sourceKey = hashJson({ listingHash: inputs.listingHash, sourceCheck, sourceFingerprint: inputs.sourceFingerprint });
  return { key: `${extractionKey}-${sourceKey}`, inputs };
}
