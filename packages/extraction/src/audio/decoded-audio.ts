/**
 * Decoded audio as plain arrays, and the channel policies that turn it into the
 * signal(s) features are computed from.
 */
import { InvalidArgumentError } from '@polytask/core';

/** Decoded audio: one Float32Array per channel, samples in [-1, 1]. */
export interface DecodedAudio {
  /** Samples per second. */
  readonly sampleRate: number;
  /** One array per channel, all the same length. */
  readonly channels: readonly Float32Array[];
}

/** How multi-channel audio becomes the analysed signal: average, first channel, or every channel kept. */
export type ChannelPolicy = 'mean' | 'first' | 'keep';

/** Every channel policy. */
export const channelPolicies: readonly ChannelPolicy[] = Object.freeze(['mean', 'first', 'keep']);

/**
 * Applies a channel policy: `mean` and `first` return one channel, `keep` returns them all.
 * The input arrays are never modified; `first` and `keep` return them as they are.
 */
export function applyChannelPolicy(audio: DecodedAudio, policy: ChannelPolicy): readonly Float32Array[] {
  const [first] = audio.channels;
  if (!first) throw new InvalidArgumentError({ argument: 'audio', value: 0, message: 'The audio has no channels.' });
  switch (policy) {
    case 'first':
      return [first];
    case 'keep':
      return audio.channels;
    case 'mean': {
      if (audio.channels.length === 1) return [first];
      const mixed = new Float32Array(first.length);
      const scale = 1 / audio.channels.length;
      for (const channel of audio.channels)
        for (let index = 0; index < mixed.length; index++) mixed[index] = (mixed[index] as number) + (channel[index] as number) * scale;
      return [mixed];
    }
    default:
      throw new InvalidArgumentError({
        argument: 'channelPolicy',
        value: policy,
        message: `Unknown channel policy "${String(policy)}"; use ${channelPolicies.join(', ')}.`,
      });
  }
}
