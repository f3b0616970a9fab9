/**
 * Everything a run folder says, read back into one comparable value: metrics records (without
 * timings), fold results, summary, the retained checkpoints' contents, confusion matrices, and
 * every TensorBoard event file as TensorBoard would read it (per run folder and tag: steps and
 * values; HParams session starts and ends with their statuses). Two runs with equal fingerprints
 * are indistinguishable to a user.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tensorBoardContents } from '../test-support';

const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

const readJson = (file: string) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined);

/** The metrics records of a metrics.jsonl, without the timings (and gradient combiners' measured overhead). */
function metricsRecords(file: string): unknown[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const { seconds: _seconds, gradientOverhead: _overhead, ...record } = JSON.parse(line) as Record<string, unknown>;
      return record;
    });
}

/** The fingerprint of a run folder (see the module comment). */
export function runFingerprint(runDirectory: string) {
  const all = readdirSync(runDirectory, { recursive: true, encoding: 'utf8' }) as string[];
  const checkpoints = all
    .filter((entry) => /(^|\/)checkpoints\/fold-\d+\/epoch-\d+\/(weights\.bin|optimizer\.bin|state\.json)$/.test(entry))
    .sort()
    .map((entry) => {
      const file = path.join(runDirectory, entry);
      if (!entry.endsWith('state.json')) return `${entry} ${digest(readFileSync(file))}`;
      // the observers' part names event files (time stamp, pid) and their lengths: what the logs hold is compared below
      const { observers: _observers, ...state } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      return `${entry} ${JSON.stringify(state)}`;
    });
  const confusion = all
    .filter((entry) => entry.includes('confusion/') && entry.endsWith('.json'))
    .sort()
    .map((entry) => `${entry} ${digest(readFileSync(path.join(runDirectory, entry)))}`);
  const summary = readJson(path.join(runDirectory, 'summary.json'));
  return {
    metrics: metricsRecords(path.join(runDirectory, 'metrics.jsonl')),
    csv: existsSync(path.join(runDirectory, 'metrics.csv')) ? readFileSync(path.join(runDirectory, 'metrics.csv'), 'utf8') : undefined,
    unitMetrics: Object.fromEntries(
      all
        .filter((entry) => /(^|\/)fold-\d+\/[^/]+\/metrics\.jsonl$/.test(entry))
        .sort()
        .map((entry) => [entry, metricsRecords(path.join(runDirectory, entry))]),
    ),
    units: all
      .filter((entry) => /(^|\/)fold-\d+\/[^/]+\/result\.json$/.test(entry))
      .sort()
      .map((entry) => [entry, readJson(path.join(runDirectory, entry))]),
    summary,
    summaryMarkdown: existsSync(path.join(runDirectory, 'summary.md'))
      ? readFileSync(path.join(runDirectory, 'summary.md'), 'utf8')
      : undefined,
    checkpoints,
    confusion,
    tensorboard: tensorBoardContents(runDirectory),
    temporaries: all.filter((entry) => /\.tmp-|\.old-/.test(entry)),
  };
}
