/**
 * A clip whose length makes extraction meaningless: shorter than the method needs for one
 * analysis frame (mostly padding, and a different shape from every other example), or longer
 * than the configured limit (a wrong file or a damaged header, which would exhaust memory).
 */
import { PolytaskError } from '@polytask/core';

/** A clip too short for one analysis frame, or longer than the allowed maximum. */
export class AudioDurationError extends PolytaskError {
  /** The file (or item) named in the message; `audio` when unknown. */
  readonly source: string;
  /** The clip's length in seconds. */
  readonly seconds: number;

  constructor(options: { source: string; seconds: number; limitSeconds: number; kind: 'too-short' | 'too-long'; method: string }) {
    const length = `${formatSeconds(options.seconds)} s`;
    super({
      message:
        options.kind === 'too-short'
          ? `${options.source}: the clip is ${length} long, shorter than the ${formatSeconds(options.limitSeconds)} s the "${options.method}" extraction needs for one analysis frame; remove or replace the file, or set onError: 'skip' to leave it out.`
          : `${options.source}: the clip is ${length} long, more than the ${formatSeconds(options.limitSeconds)} s allowed (maximumAudioSeconds); it is probably a wrong file or has a damaged header. Cut it into parts, raise maximumAudioSeconds, or set onError: 'skip' to leave it out.`,
      context: { source: options.source, seconds: options.seconds, limitSeconds: options.limitSeconds, kind: options.kind },
    });
    this.name = 'AudioDurationError';
    this.source = options.source;
    this.seconds = options.seconds;
  }

  static override isInstance(error: unknown): error is AudioDurationError {
    return PolytaskError.isInstance(error) && error.name === 'AudioDurationError';
  }
}

function formatSeconds(seconds: number): string {
  return seconds >= 10 ? seconds.toFixed(0) : Number(seconds.toPrecision(3)).toString();
}
