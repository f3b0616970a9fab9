/**
 * A second generated corpus, "scenes": acoustic scenes with sound events, at 22050 Hz so that
 * a run over both synthetic corpora resamples one of them. Every clip is a band-limited noise
 * texture (the scene: traffic rumble, wind gusts, rain with droplets) with beeps, click trains
 * and chirps overlaid at random times (the events, any number of them). Eight recording sites,
 * each shifting the textures' frequencies and level and adding its own background, are the
 * groups for leakage-free splitting. Deterministic from a seed; written as 16-bit WAV with a
 * `metadata.csv`, read back by {@link createSyntheticScenesReader}.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRandom, defineTask, type RandomSource, type TaskDefinition } from '@polytask/core';
import type { DataReader, DatasetItem } from '@polytask/data-reading';
import { generateOnce, readMetadata, toPcm16, writeMetadata, writeWav } from './internal/corpus-files';

/** The scenes corpus's tasks: scene (multi-class, main) and sound events (multi-label). */
export const syntheticScenesTasks: readonly TaskDefinition[] = Object.freeze([
  defineTask({ name: 'scene', kind: 'multi-class', labels: ['traffic', 'wind', 'rain'] }),
  defineTask({ name: 'events', kind: 'multi-label', labels: ['beep', 'click', 'chirp'] }),
]);

/** Options of {@link generateSyntheticScenes}. */
export interface SyntheticScenesOptions {
  /** Folder to write (created; an existing complete corpus is kept). */
  readonly directory: string;
  /** Clips per scene and recording site (eight sites). @default 8 */
  readonly clipsPerSiteAndScene?: number;
  /** @default 22050 */
  readonly sampleRate?: number;
  /** Clip length in seconds. @default 1 */
  readonly seconds?: number;
  /** @default 2017 */
  readonly seed?: number;
}

/** A scene's texture: noise around a centre frequency with an amplitude envelope. */
interface SceneTexture {
  readonly centreFrequency: number;
  readonly quality: number;
  /** Gain over time `t` in [0, 1) of the clip, for one clip's modulation rate and phase. */
  readonly envelope: (t: number, rate: number, phase: number) => number;
  /** Droplets (short decaying impulses) per second. */
  readonly impulsesPerSecond: number;
}

const textures: Readonly<Record<string, SceneTexture>> = {
  // passing vehicles: a low rumble that swells and fades
  traffic: {
    centreFrequency: 320,
    quality: 1.2,
    envelope: (t, rate, phase) => 0.55 + 0.45 * Math.sin(2 * Math.PI * (rate * t + phase)),
    impulsesPerSecond: 0,
  },
  // gusts: a mid band that rises and falls quickly
  wind: {
    centreFrequency: 520,
    quality: 1,
    envelope: (t, rate, phase) => 0.3 + 0.7 * Math.abs(Math.sin(2 * Math.PI * (2 * rate * t + phase))),
    impulsesPerSecond: 0,
  },
  // rain: a steady high band with droplets
  rain: { centreFrequency: 4200, quality: 0.6, envelope: () => 0.8, impulsesPerSecond: 80 },
};

/** Eight recording sites, each with its own frequency shift, level and background. */
const sites = Array.from({ length: 8 }, (_, index) => ({
  id: `site-${index + 1}`,
  frequencyFactor: 0.85 + 0.05 * ((index * 3) % 8),
  level: 0.75 + 0.08 * ((index * 5) % 7),
  background: 0.01 + 0.004 * ((index * 7) % 5),
}));

/** A second-order band-pass filter (RBJ cookbook, 0 dB peak) applied in place. */
function bandPass(options: { samples: Float64Array; centreFrequency: number; quality: number; sampleRate: number }): Float64Array {
  const { samples, sampleRate } = options;
  const angle = (2 * Math.PI * Math.min(options.centreFrequency, 0.45 * sampleRate)) / sampleRate;
  const alpha = Math.sin(angle) / (2 * options.quality);
  const a0 = 1 + alpha;
  const [b0, b2, a1, a2] = [alpha / a0, -alpha / a0, (-2 * Math.cos(angle)) / a0, (1 - alpha) / a0];
  // the last two inputs and outputs
  let [input1, input2, output1, output2] = [0, 0, 0, 0];
  for (let index = 0; index < samples.length; index++) {
    const input = samples[index] as number;
    const output = b0 * input + b2 * input2 - a1 * output1 - a2 * output2;
    input2 = input1;
    input1 = input;
    output2 = output1;
    output1 = output;
    samples[index] = output;
  }
  return samples;
}

/** Scales `samples` in place to the given root-mean-square level. */
function normalise(samples: Float64Array, rootMeanSquare: number): Float64Array {
  let energy = 0;
  for (const value of samples) energy += value * value;
  const gain = rootMeanSquare / Math.sqrt(energy / samples.length || 1);
  for (let index = 0; index < samples.length; index++) samples[index] = (samples[index] as number) * gain;
  return samples;
}

/** Adds one event occurrence starting at sample `start`. */
function addEvent(options: { samples: Float64Array; event: string; start: number; sampleRate: number; random: RandomSource }): void {
  const { samples, event, start, sampleRate, random } = options;
  const add = (offset: number, value: number) => {
    if (start + offset < samples.length) samples[start + offset] = (samples[start + offset] as number) + value;
  };
  if (event === 'beep') {
    // a 150 ms tone near 2 kHz with 5 ms ramps
    const frequency = 2000 * (0.9 + 0.2 * random());
    const length = Math.round(0.15 * sampleRate);
    const ramp = Math.round(0.005 * sampleRate);
    for (let offset = 0; offset < length; offset++) {
      const gain = Math.min(1, offset / ramp, (length - offset) / ramp);
      add(offset, 0.22 * gain * Math.sin((2 * Math.PI * frequency * offset) / sampleRate));
    }
  } else if (event === 'click') {
    // eight broadband clicks 25 ms apart, each decaying in about 1.5 ms
    for (let click = 0; click < 8; click++) {
      const clickStart = Math.round(click * 0.025 * sampleRate);
      for (let offset = 0; offset < Math.round(0.006 * sampleRate); offset++) {
        add(clickStart + offset, (2 * random() - 1) * Math.exp(-offset / (0.0015 * sampleRate)));
      }
    }
  } else {
    // a 300 ms exponential sweep from 800 Hz to 3.2 kHz
    const length = Math.round(0.3 * sampleRate);
    let phase = 0;
    for (let offset = 0; offset < length; offset++) {
      const frequency = 800 * 4 ** (offset / length);
      phase += (2 * Math.PI * frequency) / sampleRate;
      add(offset, 0.6 * Math.sin(Math.PI * (offset / length)) * Math.sin(phase));
    }
  }
}

/** Synthesises one clip: the site's view of the scene's texture, its background, and the events. */
function synthesizeScene(options: {
  scene: string;
  site: (typeof sites)[number];
  events: readonly string[];
  sampleRate: number;
  seconds: number;
  random: RandomSource;
}): Int16Array {
  const { site, sampleRate, random } = options;
  const texture = textures[options.scene] as SceneTexture;
  const length = Math.round(sampleRate * options.seconds);
  const noise = Float64Array.from({ length }, () => 2 * random() - 1);
  for (let impulse = 0; impulse < texture.impulsesPerSecond * options.seconds; impulse++) {
    const start = Math.floor(random() * length);
    const amplitude = 4 + 4 * random();
    for (let offset = 0; offset < 0.004 * sampleRate && start + offset < length; offset++) {
      noise[start + offset] = (noise[start + offset] as number) + amplitude * (2 * random() - 1) * Math.exp(-offset / (0.001 * sampleRate));
    }
  }
  const centreFrequency = texture.centreFrequency * site.frequencyFactor * (0.95 + 0.1 * random());
  // two band-pass stages for steeper skirts
  const filterOptions = { centreFrequency, quality: texture.quality, sampleRate };
  const samples = normalise(bandPass({ ...filterOptions, samples: bandPass({ ...filterOptions, samples: noise }) }), 0.08 * site.level);
  const rate = 0.5 + 0.5 * random();
  const phase = random();
  for (let index = 0; index < length; index++) {
    const t = index / length;
    const fade = Math.min(1, t * 50) * Math.min(1, (1 - t) * 50);
    samples[index] = fade * ((samples[index] as number) * texture.envelope(t, rate, phase) + site.background * (2 * random() - 1));
  }
  for (const event of options.events) {
    // two or three occurrences at random times
    const occurrences = 2 + Math.floor(random() * 2);
    for (let occurrence = 0; occurrence < occurrences; occurrence++) {
      addEvent({ samples, event, start: Math.floor(random() * 0.8 * length), sampleRate, random });
    }
  }
  return toPcm16(samples);
}

/**
 * Writes the scenes corpus (about 1.4 MB per 32 one-second clips) unless `metadata.csv` already
 * exists; returns the directory.
 * @example generateSyntheticScenes({ directory: '.polytask/data/scenes' })
 */
export function generateSyntheticScenes(options: SyntheticScenesOptions): string {
  const { directory } = options;
  generateOnce(directory, () => {
    const clips = options.clipsPerSiteAndScene ?? 8;
    const sampleRate = options.sampleRate ?? 22050;
    const seconds = options.seconds ?? 1;
    const random = createRandom(options.seed ?? 2017);
    const rows = ['file,scene,events,site'];
    const scenes = syntheticScenesTasks[0]?.labels ?? [];
    const eventLabels = syntheticScenesTasks[1]?.labels ?? [];
    for (const site of sites) {
      mkdirSync(path.join(directory, 'sites', site.id), { recursive: true });
      for (const scene of scenes) {
        for (let clip = 0; clip < clips; clip++) {
          const events = eventLabels.filter(() => random() < 0.4);
          const file = path.join('sites', site.id, `${scene}-${clip}.wav`);
          const samples = synthesizeScene({ scene, site, events, sampleRate, seconds, random });
          writeWav({ file: path.join(directory, file), sampleRate, samples });
          rows.push([file, scene, events.join(';'), site.id].join(','));
        }
      }
    }
    // metadata last, atomically: its presence marks a complete corpus
    writeMetadata(directory, rows);
  });
  return directory;
}

/**
 * A reader for a corpus written by {@link generateSyntheticScenes}, named `synthetic-scenes`;
 * recording sites are the groups.
 * @throws MissingFileError naming `metadata.csv` when the folder holds no corpus; DataFormatError naming it when it is damaged.
 */
export function createSyntheticScenesReader(options: { directory: string }): DataReader {
  const { directory } = options;
  return {
    specificationVersion: 'v1',
    options: { directory: path.resolve(options.directory) },
    name: 'synthetic-scenes',
    tasks: syntheticScenesTasks,
    async listItems(): Promise<DatasetItem[]> {
      const rows = readMetadata({
        directory,
        columns: ['file', 'scene', 'events', 'site'],
        emptyAllowed: ['events'],
        generateHint: `generateSyntheticScenes({ directory: '${directory}' })`,
      });
      return rows.map((row) => ({
        id: row.file,
        path: path.join(directory, row.file),
        labels: { scene: row.scene, events: row.events ? row.events.split(';') : [] },
        group: row.site,
        metadata: { site: row.site },
      }));
    },
  };
}
