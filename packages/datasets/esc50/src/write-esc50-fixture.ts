/**
 * A small, learnable ESC-50 in the published layout, for tests of the reader and of experiments
 * that read ESC-50: `meta/esc50.csv` and `audio/<fold>-<src_file>-<take>-<target>.wav`, 44.1 kHz
 * mono 16-bit, every category sounding as its own tone.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '@polytask/core';
import { fixtureLabelTone, synthesizeFixtureSound, writeWavFile } from '@polytask/data-reading/testing';
import { createEsc50Reader, esc50Categories } from './index';

/** Options of {@link writeEsc50Fixture}. */
export interface Esc50FixtureOptions {
  /** The corpus root to write (`meta/`, `audio/`); created when missing. */
  readonly directory: string;
  /** Categories to write, from `esc50Categories`. @default ['dog', 'chirping_birds', 'rain', 'door_wood_knock'] (two of ESC-10, two not) */
  readonly categories?: readonly string[];
  /** Source clips (`src_file`, the groups) per category and fold. @default 1 */
  readonly sourcesPerCategoryAndFold?: number;
  /** Fragments (takes A, B, ...) cut from each source clip, all in its fold. @default 2 */
  readonly takesPerSource?: number;
  /** Clip length in seconds (the published clips last 5). @default 1 */
  readonly seconds?: number;
  /** @default 1 */
  readonly seed?: number;
}

/**
 * Writes the fixture corpus: every category in each of the 5 folds, `takesPerSource` fragments per
 * source clip. Returns `directory`.
 * @throws InvalidArgumentError naming a category that ESC-50 does not have.
 * @example createEsc50Reader({ directory: writeEsc50Fixture({ directory: temporaryFolder }) })
 */
export function writeEsc50Fixture(options: Esc50FixtureOptions): string {
  const { directory } = options;
  const categories = options.categories ?? ['dog', 'chirping_birds', 'rain', 'door_wood_knock'];
  const unknown = categories.find((category) => !esc50Categories.includes(category));
  if (unknown !== undefined)
    throw new InvalidArgumentError({
      argument: 'categories',
      value: unknown,
      message: `"${unknown}" is not an ESC-50 category; choose from esc50Categories (e.g. "dog", "rain").`,
    });
  const seconds = options.seconds ?? 1;
  const seed = options.seed ?? 1;
  const esc10Categories = new Set(createEsc50Reader({ directory, esc10: true }).tasks[0]?.labels);
  const rows = ['filename,fold,target,category,esc10,src_file,take'];
  let source = 100000 + seed * 1000;
  for (let fold = 1; fold <= 5; fold++) {
    for (const [index, category] of categories.entries()) {
      const target = esc50Categories.indexOf(category);
      for (let sourceIndex = 0; sourceIndex < (options.sourcesPerCategoryAndFold ?? 1); sourceIndex++) {
        source += 37;
        for (let take = 0; take < (options.takesPerSource ?? 2); take++) {
          const takeName = String.fromCharCode(65 + take);
          const filename = `${fold}-${source}-${takeName}-${target}.wav`;
          writeWavFile({
            file: path.join(directory, 'audio', filename),
            sampleRate: 44100,
            channels: synthesizeFixtureSound({
              sampleRate: 44100,
              seconds,
              tones: [fixtureLabelTone({ index, count: categories.length })],
              seed: source * 10 + take,
            }),
          });
          rows.push([filename, fold, target, category, esc10Categories.has(category) ? 'True' : 'False', source, takeName].join(','));
        }
      }
    }
  }
  mkdirSync(path.join(directory, 'meta'), { recursive: true });
  writeFileSync(path.join(directory, 'meta', 'esc50.csv'), `${rows.join('\n')}\n`);
  return directory;
}
