/**
 * @polytask/dataset-ravdess: RAVDESS (Livingstone and Russo 2018), audio-only speech and
 * song of 24 actors. File names encode modality-vocal channel-emotion-intensity-statement-
 * repetition-actor; the actor is the group (no predefined split). Two modes: every file with its
 * emotion, intensity and gender, or the thesis's stress corpus (neutral vs fearful, first 1.28 s).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { DataFormatError, defineTask, MissingFileError, type TaskDefinition } from '@polytask/core';
import { type DataReader, type DatasetItem, defineReaderOptions, validateReaderOptions } from '@polytask/data-reading';
import { type DecodedAudio, readAudioFile } from '@polytask/extraction';

/** Emotion codes 01-08. */
export const ravdessEmotions: readonly string[] = Object.freeze([
  'neutral',
  'calm',
  'happy',
  'sad',
  'angry',
  'fearful',
  'disgust',
  'surprised',
]);

/** Tasks: emotion (multi-class, 8), intensity (binary normal/strong), gender (binary female/male, odd actors are male). */
export const ravdessTasks: readonly TaskDefinition[] = Object.freeze([
  defineTask({ name: 'emotion', kind: 'multi-class', labels: ravdessEmotions }),
  defineTask({ name: 'intensity', kind: 'binary', labels: ['normal', 'strong'] }),
  defineTask({ name: 'gender', kind: 'binary', labels: ['female', 'male'] }),
]);

/**
 * The stress mode's task (the thesis's `Ravdess_stress`, after Georgiev et al. 2017): binary,
 * `neutral` (emotion 01) vs `stressed` (emotion 06, fearful).
 */
export const ravdessStressTasks: readonly TaskDefinition[] = Object.freeze([
  defineTask({ name: 'stress', kind: 'binary', labels: ['neutral', 'stressed'] }),
]);

/** Seconds the stress mode keeps from the start of each clip, as the thesis did (`floor(1.28 * sampleRate)` samples). */
export const ravdessStressSeconds = 1.28;

/**
 * The reader's modes: `standard` (every file: emotion, intensity, gender), `emotion` (every file,
 * the emotion task alone: the thesis's first mode) or `stress` (neutral vs fearful, first 1.28 s: its second).
 */
export const ravdessModes = ['standard', 'emotion', 'stress'] as const;

/** Options of {@link createRavdessReader}. */
export interface RavdessReaderOptions {
  /** Folder holding `Audio_Speech_Actors_01-24/` and/or `Audio_Song_Actors_01-24/` (either capitalisation of "Actors"). */
  readonly directory: string;
  /** @default ['speech', 'song'] */
  readonly channels?: readonly ('speech' | 'song')[];
  /**
   * `standard`: every file, tasks `emotion`, `intensity` and `gender`. `emotion`: every file, the
   * `emotion` task alone (the thesis's first mode). `stress`: the thesis's second mode, only neutral
   * and fearful files, task `stress` (neutral/stressed), each clip cut to its first 1.28 s.
   * @default 'standard'
   */
  readonly mode?: (typeof ravdessModes)[number];
}

/** The options of `createReader`, checked by the polytask CLI before it creates the reader. */
export const readerOptionsSchema = defineReaderOptions<RavdessReaderOptions>({
  directory: { type: 'string', required: true, description: 'Folder holding Audio_Speech_Actors_01-24/ and/or Audio_Song_Actors_01-24/' },
  channels: { type: 'string-list', values: ['speech', 'song'], default: ['speech', 'song'], description: 'The vocal channels to read' },
  mode: {
    type: 'string',
    values: ravdessModes,
    default: 'standard',
    description:
      "standard: emotion, intensity and gender of every file; emotion: the emotion task alone; stress: neutral vs fearful, first 1.28 s (the thesis's two modes)",
  },
});

/** Reads RAVDESS audio-only files of the chosen vocal channels. */
export function createRavdessReader(options: RavdessReaderOptions): DataReader {
  validateReaderOptions({ ...options }, { schema: readerOptionsSchema, reader: 'ravdess' });
  const channels = options.channels ?? ['speech', 'song'];
  const mode = options.mode ?? 'standard';
  const stress = mode === 'stress';
  const name = channels.length === 2 ? 'ravdess' : `ravdess-${channels[0]}`;
  return {
    specificationVersion: 'v1',
    options: { ...options, directory: path.resolve(options.directory) },
    name: mode === 'standard' ? name : `${name}-${mode}`,
    tasks: stress ? ravdessStressTasks : mode === 'emotion' ? ravdessTasks.slice(0, 1) : ravdessTasks,
    async listItems() {
      const items: DatasetItem[] = [];
      for (const channel of channels) {
        const title = channel === 'speech' ? 'Speech' : 'Song';
        const folder = [`Audio_${title}_Actors_01-24`, `Audio_${title}_actors_01-24`]
          .map((name) => path.join(options.directory, name))
          .find((candidate) => existsSync(candidate));
        if (!folder) {
          throw new MissingFileError({
            path: path.join(options.directory, `Audio_${title}_Actors_01-24`),
            message: `RAVDESS: ${path.join(options.directory, `Audio_${title}_Actors_01-24`)} is missing (unzip Audio_${title}_Actors_01-24.zip there, or choose other channels).`,
          });
        }
        for (const actor of readdirSync(folder)
          .filter((name) => /^Actor_\d{2}$/.test(name))
          .sort()) {
          for (const file of readdirSync(path.join(folder, actor))
            .filter((name) => name.endsWith('.wav'))
            .sort()) {
            const fields = file.replace(/\.wav$/, '').split('-');
            const file_ = path.join(folder, actor, file);
            if (fields.length !== 7 || fields.some((field) => !/^\d{2}$/.test(field))) {
              throw new DataFormatError({
                path: file_,
                message: `${file_}: a RAVDESS file name has 7 two-digit fields (modality-vocal-emotion-intensity-statement-repetition-actor).`,
              });
            }
            const [modality, vocal, emotion, intensity, statement, repetition, actorNumber] = fields.map(Number) as number[];
            if (modality !== 3) continue; // audio-only files
            if (vocal !== (channel === 'speech' ? 1 : 2) || !(emotion && emotion >= 1 && emotion <= 8) || `Actor_${fields[6]}` !== actor) {
              throw new DataFormatError({
                path: file_,
                message: `${file_}: its fields do not match its folder (channel ${channel}, ${actor}) or give an unknown emotion.`,
              });
            }
            if (stress) {
              if (emotion === 1 || emotion === 6)
                items.push({
                  id: `${actor}/${file}`,
                  sources: [file_],
                  labels: { stress: emotion === 6 ? 'stressed' : 'neutral' },
                  group: actor,
                  metadata: { channel, statement: statement as number, repetition: repetition as number, file: file_ },
                });
              continue;
            }
            if (mode === 'emotion') {
              items.push({
                id: `${actor}/${file}`,
                path: file_,
                labels: { emotion: ravdessEmotions[emotion - 1] as string },
                group: actor,
                metadata: { channel, statement: statement as number, repetition: repetition as number },
              });
              continue;
            }
            items.push({
              id: `${actor}/${file}`,
              path: file_,
              labels: {
                emotion: ravdessEmotions[emotion - 1] as string,
                intensity: intensity === 2 ? 'strong' : 'normal',
                gender: (actorNumber as number) % 2 === 1 ? 'male' : 'female',
              },
              group: actor,
              metadata: { channel, statement: statement as number, repetition: repetition as number },
            });
          }
        }
      }
      return items;
    },
    ...(stress
      ? {
          async readAudio(item: DatasetItem): Promise<DecodedAudio> {
            const { sampleRate, channels } = await readAudioFile(item.metadata?.file as string);
            const kept = Math.floor(ravdessStressSeconds * sampleRate);
            return { sampleRate, channels: channels.map((channel) => channel.slice(0, kept)) };
          },
        }
      : {}),
  };
}

/** The package's reader factory under the name every reader package exports (used by the polytask CLI). */
export { createRavdessReader as createReader };
