/**
 * @polytask/dataset-speech-commands: Speech Commands v0.02 (Warden 2018), one-second
 * keyword utterances in one folder per word, with the official `validation_list.txt` and
 * `testing_list.txt`. The speaker (file-name prefix before `_nohash_`) is the group.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defineTask, MissingFileError, type TaskDefinition } from '@polytask/core';
import { type DataReader, type DatasetItem, defineReaderOptions, validateReaderOptions } from '@polytask/data-reading';
import { readAudioFile, readWavFormat } from '@polytask/extraction';

/** The 35 words of v0.02. */
export const speechCommandsWords: readonly string[] = Object.freeze([
  'backward',
  'bed',
  'bird',
  'cat',
  'dog',
  'down',
  'eight',
  'five',
  'follow',
  'forward',
  'four',
  'go',
  'happy',
  'house',
  'learn',
  'left',
  'marvin',
  'nine',
  'no',
  'off',
  'on',
  'one',
  'right',
  'seven',
  'sheila',
  'six',
  'stop',
  'three',
  'tree',
  'two',
  'up',
  'visual',
  'wow',
  'yes',
  'zero',
]);

/** The ten keywords of the 12-class variant (plus `_silence_` and `_unknown_`). */
export const speechCommandsKeywords: readonly string[] = Object.freeze([
  'yes',
  'no',
  'up',
  'down',
  'left',
  'right',
  'on',
  'off',
  'stop',
  'go',
]);

/** Options of {@link createSpeechCommandsReader}. */
export interface SpeechCommandsReaderOptions {
  /** The unpacked `speech_commands_v0.02` folder. */
  readonly directory: string;
  /** 35 words, or the 12-class task (10 keywords, `_silence_`, `_unknown_`). @default 35 */
  readonly variant?: 35 | 12;
  /** Where the official validation list goes: into training, or left out. @default 'train' */
  readonly validation?: 'train' | 'exclude';
}

/** The options of `createReader`, checked by the polytask CLI before it creates the reader. */
export const readerOptionsSchema = defineReaderOptions<SpeechCommandsReaderOptions>({
  directory: { type: 'string', required: true, description: 'The unpacked speech_commands_v0.02 folder' },
  variant: {
    type: 'integer',
    values: [35, 12],
    default: 35,
    description: '35 words, or the 12-class task (10 keywords, _silence_, _unknown_)',
  },
  validation: {
    type: 'string',
    values: ['train', 'exclude'],
    default: 'train',
    description: 'Where the official validation list goes: into training, or left out',
  },
});

const backgroundFolder = '_background_noise_';

/**
 * Reads Speech Commands: task `keyword`, the official test list as the test part. In the 12-class
 * variant other words become `_unknown_` and one-second slices of `_background_noise_` become
 * `_silence_` items (the slices of the last noise recording, by name, go to test).
 */
export function createSpeechCommandsReader(options: SpeechCommandsReaderOptions): DataReader {
  validateReaderOptions({ ...options }, { schema: readerOptionsSchema, reader: 'speech-commands' });
  const variant = options.variant ?? 35;
  const labels = variant === 35 ? [...speechCommandsWords] : [...speechCommandsKeywords, '_silence_', '_unknown_'];
  const tasks: TaskDefinition[] = [defineTask({ name: 'keyword', kind: 'multi-class', labels })];
  const listFile = (name: string) => {
    const file = path.join(options.directory, name);
    if (!existsSync(file))
      throw new MissingFileError({
        path: file,
        message: `Speech Commands: ${file} is missing; point the reader at the unpacked speech_commands_v0.02 folder.`,
      });
    return new Set(readFileSync(file, 'utf8').split(/\r?\n/).filter(Boolean));
  };
  return {
    specificationVersion: 'v1',
    options: { ...options, directory: path.resolve(options.directory) },
    name: variant === 35 ? 'speech-commands' : 'speech-commands-12',
    tasks,
    async listItems() {
      const testing = listFile('testing_list.txt');
      const validation = listFile('validation_list.txt');
      const items: DatasetItem[] = [];
      const words = readdirSync(options.directory, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && entry.name !== backgroundFolder && !entry.name.startsWith('.'))
        .map((entry) => entry.name)
        .sort();
      if (words.length === 0)
        throw new MissingFileError({ path: options.directory, message: `Speech Commands: ${options.directory} holds no word folders.` });
      for (const word of words) {
        for (const file of readdirSync(path.join(options.directory, word))
          .filter((name) => name.endsWith('.wav'))
          .sort()) {
          const relative = `${word}/${file}`;
          if (validation.has(relative) && options.validation === 'exclude') continue;
          const label = variant === 35 ? word : speechCommandsKeywords.includes(word) ? word : '_unknown_';
          items.push({
            id: relative,
            path: path.join(options.directory, word, file),
            labels: { keyword: label },
            group: file.split('_nohash_')[0] as string,
            split: testing.has(relative) ? 'test' : 'train',
            metadata: { word },
          });
        }
      }
      if (variant === 12) {
        const folder = path.join(options.directory, backgroundFolder);
        if (!existsSync(folder))
          throw new MissingFileError({
            path: folder,
            message: `Speech Commands: ${folder} is missing; the 12-class variant cuts _silence_ from it.`,
          });
        const noiseFiles = readdirSync(folder)
          .filter((name) => name.endsWith('.wav'))
          .sort();
        for (const [fileIndex, file] of noiseFiles.entries()) {
          const noiseFile = path.join(folder, file);
          const format = readWavFormat(new Uint8Array(readFileSync(noiseFile)), { path: noiseFile });
          const slices = Math.floor(format.frameCount / format.sampleRate);
          for (let slice = 0; slice < slices; slice++) {
            items.push({
              id: `${backgroundFolder}/${file}#${slice}`,
              labels: { keyword: '_silence_' },
              group: `${backgroundFolder}/${file}`,
              // a whole recording on one side (the last one tests), so no group spans train and test
              split: fileIndex === noiseFiles.length - 1 ? 'test' : 'train',
              metadata: { noiseFile, slice },
            });
          }
        }
      }
      return items;
    },
    async readAudio(item) {
      // only _silence_ items have no path: a one-second slice of a background-noise file
      const noiseFile = item.metadata?.noiseFile as string;
      const slice = Number(item.metadata?.slice);
      const audio = await readAudioFile(noiseFile);
      return {
        sampleRate: audio.sampleRate,
        channels: audio.channels.map((channel) => channel.slice(slice * audio.sampleRate, (slice + 1) * audio.sampleRate)),
      };
    },
  };
}

/** The package's reader factory under the name every reader package exports (used by the polytask CLI). */
export { createSpeechCommandsReader as createReader };
