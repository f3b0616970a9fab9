#!/usr/bin/env node
/**
 * Extraction benchmark (one thread): seconds of 16 kHz audio turned into 64-band log-mel
 * (fftSize 1024, hop 512) per wall-clock second, next to the numpy oracle
 * (scripts/reference_features.py) when python3 with numpy is available; and 16-bit WAV
 * decoding speed, with the default float64 FFT and with the optional pffft fast path.
 * Targets: log-mel >= 5,000x real time; WAV decoding >= 200x real time.
 */
import { spawnSync } from 'node:child_process';
import { decodeWav, loadFastFft, logMelSpectrogram } from '@polytask/extraction';
import wavefile from 'wavefile';

const sampleRate = 16000;
const seconds = 60;
let seed = 12345;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648 - 0.5;
};
const signal = Float32Array.from({ length: sampleRate * seconds }, (_, index) => 0.3 * Math.sin(index * 0.05) + 0.1 * random());
const options = { sampleRate, fftSize: 1024, hopLength: 512, melBandCount: 64 };

function measure(run, minimumSeconds = 3) {
  run();
  let runs = 0;
  const start = performance.now();
  while (performance.now() - start < minimumSeconds * 1000) {
    run();
    runs++;
  }
  return (performance.now() - start) / 1000 / runs;
}

const logMelSeconds = measure(() => logMelSpectrogram(signal, options));
const logMelRealTime = seconds / logMelSeconds;
let fastLine = 'log-mel with fft: pffft: skipped (@echogarden/pffft-wasm not installed)';
try {
  await loadFastFft();
  const fastRealTime = seconds / measure(() => logMelSpectrogram(signal, { ...options, fft: 'pffft' }));
  fastLine = `log-mel with fft: 'pffft' (SIMD wasm, float32): ${fastRealTime.toFixed(0)}x real time (target >= 5000x)`;
} catch (error) {
  fastLine += ` (${error.message})`;
}

const wave = new wavefile.WaveFile();
wave.fromScratch(
  1,
  sampleRate,
  '16',
  Int16Array.from(signal, (value) => Math.round(value * 32767)),
);
const wavBytes = wave.toBuffer();
const decodeSeconds = measure(() => decodeWav(wavBytes), 2);
const decodeRealTime = seconds / decodeSeconds;

let numpyLine = 'numpy oracle: skipped (python3 with numpy not found)';
const script = `
import sys, time, numpy as np
sys.path.insert(0, 'scripts')
import reference_features as ref
sr = 16000; y = (0.3 * np.sin(np.arange(sr * ${seconds}) * 0.05) + 0.1 * (np.random.default_rng(1).random(sr * ${seconds}) - 0.5)).astype(np.float32).astype(np.float64)
run = lambda: ref.power_to_db(ref.melspec(y, sr, n_fft=1024, hop=512, n_mels=64))
run(); n = 0; start = time.perf_counter()
while time.perf_counter() - start < 3: run(); n += 1
print(${seconds} / ((time.perf_counter() - start) / n))
`;
const python = spawnSync('python3', ['-c', script], {
  encoding: 'utf8',
  env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
});
if (python.status === 0) {
  const numpyRealTime = Number(python.stdout.trim());
  numpyLine = `numpy oracle (float64, 1 thread): ${numpyRealTime.toFixed(0)}x real time; polytask/numpy = ${(logMelRealTime / numpyRealTime).toFixed(2)}`;
}

console.log(
  `log-mel 64 bands, fftSize 1024, hop 512, 16 kHz, default fft (float64, librosa-exact): ${logMelRealTime.toFixed(0)}x real time (target >= 5000x)`,
);
console.log(fastLine);
console.log(numpyLine);
console.log(`16-bit WAV decoding: ${decodeRealTime.toFixed(0)}x real time (target >= 200x)`);
