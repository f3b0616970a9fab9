#!/usr/bin/env node
/**
 * Extraction benchmark, one thread: log-mel (`logMelSpectrogram`, decibels with top_db 80)
 * against librosa 0.11's `librosa.feature.melspectrogram` + `librosa.power_to_db` on the same
 * float32 signal, side by side in one run. Python runs with OMP_NUM_THREADS=1,
 * OPENBLAS_NUM_THREADS=1 and MKL_NUM_THREADS=1 in a child process that stays up, so each round
 * times ours and librosa back to back and a change of machine load hits both. Two settings:
 * 16 kHz, n_fft 1024, hop 512, 64 mels (the project's usual one) and 22.05 kHz, n_fft 2048,
 * hop 512, 128 mels (librosa's defaults); both centred with zero padding, periodic Hann, Slaney
 * mel scale and norm. Reported: x real time (seconds of audio per wall-clock second), medians over
 * the rounds, and the median of the per-round ratios ours / librosa, with the target
 * (default path >= 1.0x librosa) marked PASS or FAIL. Then 16-bit WAV decoding (target >= 200x).
 * BENCH_ROUNDS (default 5) and BENCH_ROUND_SECONDS (default 1) set the rounds.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { decodeWav, loadFastFft, loadNativeStft, logMelSpectrogram } from '@polytask/extraction';
import wavefile from 'wavefile';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const roundSeconds = Number(process.env.BENCH_ROUND_SECONDS ?? 1);
const seconds = 60;
const settings = [
  { label: '16 kHz, n_fft 1024, hop 512, 64 mels', sampleRate: 16000, fftSize: 1024, hopLength: 512, melBandCount: 64 },
  {
    label: '22.05 kHz, n_fft 2048, hop 512, 128 mels (librosa defaults)',
    sampleRate: 22050,
    fftSize: 2048,
    hopLength: 512,
    melBandCount: 128,
  },
];

function testSignal(sampleRate) {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648 - 0.5;
  };
  return Float32Array.from({ length: sampleRate * seconds }, (_, index) => 0.3 * Math.sin(index * 0.05) + 0.1 * random());
}

/** Seconds per call: one warm-up call, then calls for at least `minimumSeconds`. */
function measure(run, minimumSeconds) {
  run();
  let runs = 0;
  const start = performance.now();
  while (performance.now() - start < minimumSeconds * 1000) {
    run();
    runs++;
  }
  return (performance.now() - start) / 1000 / runs;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const librosaScript = `
import json, sys, time
try:
    import numpy as np
    import librosa
except Exception as error:
    print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)
    sys.exit(0)
print(json.dumps({"librosa": librosa.__version__, "numpy": np.__version__}), flush=True)
signals = {}
for line in sys.stdin:
    request = json.loads(line)
    if request["path"] not in signals:
        signals[request["path"]] = np.fromfile(request["path"], dtype=np.float32)
    y = signals[request["path"]]
    run = lambda: librosa.power_to_db(librosa.feature.melspectrogram(
        y=y, sr=request["sampleRate"], n_fft=request["fftSize"], hop_length=request["hopLength"], n_mels=request["melBandCount"]))
    run()
    runs = 0
    start = time.perf_counter()
    while time.perf_counter() - start < request["seconds"]:
        run()
        runs += 1
    print(json.dumps({"secondsPerCall": (time.perf_counter() - start) / runs}), flush=True)
`;

/** A python3 child that times librosa on request; undefined (with the reason) when python3 or librosa is missing. */
async function startLibrosa() {
  const child = spawn('python3', ['-c', librosaScript], {
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const spawned = await new Promise((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (error) => resolve(error));
  });
  if (spawned) return { reason: `python3 not found (${spawned.message})` };
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('the librosa process exited');
    return JSON.parse(value);
  };
  const hello = await next();
  if (hello.error) {
    child.stdin.end();
    return { reason: `librosa not importable in python3 (${hello.error})` };
  }
  return {
    versions: hello,
    async secondsPerCall(request) {
      child.stdin.write(`${JSON.stringify(request)}\n`);
      return (await next()).secondsPerCall;
    },
    stop: () => child.stdin.end(),
  };
}

const native = await loadNativeStft();
let fastFft = true;
let fastFftReason = '';
try {
  await loadFastFft();
} catch (error) {
  fastFft = false;
  fastFftReason = error.message;
}
const librosa = await startLibrosa();
const directory = mkdtempSync(path.join(os.tmpdir(), 'polytask-bench-'));
const loadAtStart = os.loadavg();

const results = [];
for (const setting of settings) {
  const signal = testSignal(setting.sampleRate);
  const file = path.join(directory, `${setting.sampleRate}.f32`);
  writeFileSync(file, Buffer.from(signal.buffer));
  const options = {
    sampleRate: setting.sampleRate,
    fftSize: setting.fftSize,
    hopLength: setting.hopLength,
    melBandCount: setting.melBandCount,
  };
  results.push({ setting, signal, file, options, ours: [], pffft: [], librosa: [] });
}
for (let round = 0; round < rounds; round++) {
  for (const result of results) {
    const { signal, options, file } = result;
    result.ours.push(seconds / measure(() => logMelSpectrogram(signal, options), roundSeconds));
    if (fastFft) result.pffft.push(seconds / measure(() => logMelSpectrogram(signal, { ...options, fft: 'pffft' }), roundSeconds));
    if (librosa.secondsPerCall)
      result.librosa.push(seconds / (await librosa.secondsPerCall({ path: file, ...options, seconds: roundSeconds })));
  }
}
librosa.stop?.();
rmSync(directory, { recursive: true, force: true });
const loadAtEnd = os.loadavg();

const format = (value) => `${value.toFixed(0)}x`;
const roundList = (values) => values.map((value) => value.toFixed(0)).join(', ');
const cpus = os.cpus();
console.log(
  `Log-mel, one thread, x real time; ${rounds} rounds of ~${roundSeconds} s per implementation, ours and librosa interleaved; medians.`,
);
console.log(`machine: ${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${new Date().toISOString()}`);
const loaded = loadAtStart[0] >= 0.5;
console.log(
  `load average at start ${loadAtStart.map((value) => value.toFixed(2)).join(' / ')}, at end ${loadAtEnd.map((value) => value.toFixed(2)).join(' / ')}` +
    (loaded ? ' (loaded: other processes were running; numbers are lower and noisier than on an idle machine)' : ''),
);
console.log(
  `default float64 path: ${native ? 'WebAssembly SIMD kernels (two frames per f64x2 vector)' : 'fft.js (WebAssembly SIMD missing or POLYTASK_NATIVE_STFT=0)'}`,
);
if (librosa.versions) {
  console.log(
    `librosa ${librosa.versions.librosa}, numpy ${librosa.versions.numpy}: melspectrogram + power_to_db on float32 audio, 1 thread`,
  );
} else {
  console.log(`librosa: skipped: ${librosa.reason}`);
}
if (!fastFft) console.log(`fft: 'pffft': skipped: @echogarden/pffft-wasm not loadable (${fastFftReason})`);
for (const result of results) {
  const ours = median(result.ours);
  console.log(`\n${result.setting.label}:`);
  console.log(`  ours, default (float64, librosa-exact): ${format(ours)}   [rounds: ${roundList(result.ours)}]`);
  if (fastFft)
    console.log(`  ours, fft: 'pffft' (float32, not exact): ${format(median(result.pffft))}   [rounds: ${roundList(result.pffft)}]`);
  if (result.librosa.length > 0) {
    console.log(`  librosa: ${format(median(result.librosa))}   [rounds: ${roundList(result.librosa)}]`);
    const ratio = median(result.ours.map((value, round) => value / result.librosa[round]));
    console.log(`  default / librosa: ${ratio.toFixed(2)}x (target >= 1.0x): ${ratio >= 1 ? 'PASS' : 'FAIL'}`);
    if (fastFft) console.log(`  pffft / librosa: ${median(result.pffft.map((value, round) => value / result.librosa[round])).toFixed(2)}x`);
  } else {
    console.log(`  librosa: skipped: ${librosa.reason}; target (default >= 1.0x librosa) not checked`);
  }
}

const wave = new wavefile.WaveFile();
const wavSignal = results[0].signal;
wave.fromScratch(
  1,
  16000,
  '16',
  Int16Array.from(wavSignal, (value) => Math.round(value * 32767)),
);
const wavBytes = wave.toBuffer();
const decodeRealTime = seconds / measure(() => decodeWav(wavBytes), 2);
console.log(`\n16-bit WAV decoding: ${format(decodeRealTime)} real time (target >= 200x): ${decodeRealTime >= 200 ? 'PASS' : 'FAIL'}`);
