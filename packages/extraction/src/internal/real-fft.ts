/**
 * Real-input FFT returning bins 0..n/2. Powers of two pack the real signal into a
 * half-size complex FFT (fft.js); other sizes (n_fft = 400, 320, ...) use Bluestein's
 * algorithm over a power-of-two FFT. Everything is computed in float64.
 */
import FFT from 'fft.js';

/** Computes the first `n / 2 + 1` DFT bins of a real frame of length `n`. */
export interface RealFft {
  /** Frame length. */
  readonly size: number;
  /** `size / 2 + 1` (floor). */
  readonly binCount: number;
  /** Writes the real and imaginary parts of bins 0..binCount-1. `frame` is not modified. */
  transform(frame: Float64Array, real: Float64Array, imaginary: Float64Array): void;
  /** Scratch frame of `size` samples: write a frame here, then call {@link RealFft.powerOfInput}. */
  readonly input: Float64Array | Float32Array;
  /** |X_k|² of the frame held in `input`, for bins 0..binCount-1 (the fast path of the STFT). */
  powerOfInput(power: Float64Array): void;
}

const isPowerOfTwo = (value: number) => value > 0 && (value & (value - 1)) === 0;

function createPackedRealFft(size: number): RealFft {
  const half = size / 2;
  const binCount = half + 1;
  const fft = new FFT(half);
  const packed = new Float64Array(2 * half);
  const spectrum = new Float64Array(2 * half);
  const cosine = new Float64Array(binCount);
  const sine = new Float64Array(binCount);
  for (let k = 0; k < binCount; k++) {
    cosine[k] = Math.cos((2 * Math.PI * k) / size);
    sine[k] = Math.sin((2 * Math.PI * k) / size);
  }
  return {
    size,
    binCount,
    input: packed,
    powerOfInput(power) {
      // the real frame, read as interleaved complex pairs, is the packed half-size input
      fft.transform(spectrum, packed);
      const spectrumValues = spectrum;
      const cosineValues = cosine;
      const sineValues = sine;
      for (let k = 1; k < half; k++) {
        const index = 2 * k;
        const mirror = 2 * (half - k);
        const zr = spectrumValues[index] as number;
        const zi = spectrumValues[index + 1] as number;
        const mr = spectrumValues[mirror] as number;
        const mi = spectrumValues[mirror + 1] as number;
        const evenReal = zr + mr;
        const evenImaginary = zi - mi;
        const oddReal = zi + mi;
        const oddImaginary = mr - zr;
        const c = cosineValues[k] as number;
        const s = sineValues[k] as number;
        const real = evenReal + c * oddReal + s * oddImaginary;
        const imaginary = evenImaginary + c * oddImaginary - s * oddReal;
        power[k] = 0.25 * (real * real + imaginary * imaginary);
      }
      const dcReal = spectrum[0] as number;
      const dcImaginary = spectrum[1] as number;
      power[0] = (dcReal + dcImaginary) ** 2;
      power[half] = (dcReal - dcImaginary) ** 2;
    },
    transform(frame, real, imaginary) {
      packed.set(frame);
      fft.transform(spectrum, packed);
      for (let k = 0; k < binCount; k++) {
        const index = k === half ? 0 : 2 * k;
        const mirror = k === 0 ? 0 : 2 * (half - k);
        const zr = spectrum[index] as number;
        const zi = spectrum[index + 1] as number;
        const mr = spectrum[mirror] as number;
        const mi = -(spectrum[mirror + 1] as number);
        // even = (Z[k] + conj Z[n/2-k]) / 2, odd = (Z[k] - conj Z[n/2-k]) / 2i
        const evenReal = 0.5 * (zr + mr);
        const evenImaginary = 0.5 * (zi + mi);
        const oddReal = 0.5 * (zi - mi);
        const oddImaginary = -0.5 * (zr - mr);
        const c = cosine[k] as number;
        const s = sine[k] as number;
        // X[k] = even + e^{-2πik/n} odd
        real[k] = evenReal + c * oddReal + s * oddImaginary;
        imaginary[k] = evenImaginary + c * oddImaginary - s * oddReal;
      }
    },
  };
}

function createBluesteinFft(size: number): RealFft {
  const binCount = Math.floor(size / 2) + 1;
  let length = 1;
  while (length < 2 * size - 1) length *= 2;
  const fft = new FFT(length);
  const chirpReal = new Float64Array(size);
  const chirpImaginary = new Float64Array(size);
  for (let n = 0; n < size; n++) {
    const angle = (Math.PI * ((n * n) % (2 * size))) / size;
    chirpReal[n] = Math.cos(angle);
    chirpImaginary[n] = Math.sin(angle);
  }
  const kernel = new Float64Array(2 * length);
  for (let n = 0; n < size; n++) {
    kernel[2 * n] = chirpReal[n] as number;
    kernel[2 * n + 1] = chirpImaginary[n] as number;
    if (n > 0) {
      kernel[2 * (length - n)] = chirpReal[n] as number;
      kernel[2 * (length - n) + 1] = chirpImaginary[n] as number;
    }
  }
  const kernelSpectrum = new Float64Array(2 * length);
  fft.transform(kernelSpectrum, kernel);
  const work = new Float64Array(2 * length);
  const workSpectrum = new Float64Array(2 * length);
  const input = new Float64Array(size);
  const realScratch = new Float64Array(binCount);
  const imaginaryScratch = new Float64Array(binCount);
  return {
    size,
    binCount,
    input,
    powerOfInput(power) {
      this.transform(input, realScratch, imaginaryScratch);
      for (let k = 0; k < binCount; k++) power[k] = (realScratch[k] as number) ** 2 + (imaginaryScratch[k] as number) ** 2;
    },
    transform(frame, real, imaginary) {
      work.fill(0);
      for (let n = 0; n < size; n++) {
        const x = frame[n] as number;
        work[2 * n] = x * (chirpReal[n] as number);
        work[2 * n + 1] = -x * (chirpImaginary[n] as number);
      }
      fft.transform(workSpectrum, work);
      // multiply by the kernel spectrum, conjugated so the next forward FFT acts as an inverse
      for (let i = 0; i < 2 * length; i += 2) {
        const ar = workSpectrum[i] as number;
        const ai = workSpectrum[i + 1] as number;
        const br = kernelSpectrum[i] as number;
        const bi = kernelSpectrum[i + 1] as number;
        work[i] = ar * br - ai * bi;
        work[i + 1] = -(ar * bi + ai * br);
      }
      fft.transform(workSpectrum, work);
      for (let k = 0; k < binCount; k++) {
        const cr = (workSpectrum[2 * k] as number) / length;
        const ci = -(workSpectrum[2 * k + 1] as number) / length;
        const wr = chirpReal[k] as number;
        const wi = -(chirpImaginary[k] as number);
        real[k] = cr * wr - ci * wi;
        imaginary[k] = cr * wi + ci * wr;
      }
    },
  };
}

const cache = new Map<number, RealFft>();

/** Returns a (cached) real FFT of the given frame length (at least 2). */
export function realFft(size: number): RealFft {
  let fft = cache.get(size);
  if (!fft) {
    fft = size >= 4 && isPowerOfTwo(size) ? createPackedRealFft(size) : createBluesteinFft(size);
    cache.set(size, fft);
  }
  return fft;
}
