#!/usr/bin/env node
/**
 * `pnpm test:packed`: tests the published packages as users get them. Packs every package of
 * packages/ that is not private with `pnpm pack`, checks each tarball (no workspace: or catalog:
 * ranges, no @polytask/source condition, every export and bin present, bins executable, no test
 * helpers, every bare import of the dist/ JavaScript and types declared), installs all tarballs
 * together with npm into an empty folder (third-party packages come from the registry), imports
 * every export there, and runs the installed `polytask` command on two synthetic corpora once per
 * built-in extraction method, taking turns over the resampling methods. It also reports the install
 * footprint and checks that `@polytask/extraction` alone pulls neither meyda nor tfjs. Needs
 * `pnpm build` first (the package script runs it). Exits non-zero with a message naming each
 * problem; temporary folders are removed at the end (`--keep` keeps them and prints where).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const keep = process.argv.includes('--keep');
const started = performance.now();

/**
 * Optional peers the runs below need, as a user installs them (the extraction README): meyda for
 * spectral descriptors, libsamplerate for high-quality resampling. The required tfjs peers of
 * `polytask` are added from its manifest. tfjs-node stays out: nothing may require it.
 */
const optionalPeersToInstall = ['meyda', '@alexanderolsen/libsamplerate-js'];

/** Small parameters per built-in extraction method; a method missing here runs with its defaults. */
const smallParameters = {
  spectrogram: { fftSize: 256, hopLength: 256 },
  'mel-spectrogram': { fftSize: 512, hopLength: 512, melBandCount: 16 },
  'log-mel': { fftSize: 512, hopLength: 512, melBandCount: 16 },
  mfcc: { fftSize: 512, hopLength: 512, melBandCount: 16, coefficientCount: 8 },
  filterbank: { filterCount: 16, stepDuration: 0.03 },
  'log-filterbank': { filterCount: 16, stepDuration: 0.03 },
  'logbank-summary': { filterCount: 16 },
  'spectral-descriptors': { frameSize: 512 },
};

/** The tasks of the two synthetic corpora, each of which a summary must report. */
const expectedTasks = ['keyword', 'pitch', 'noise', 'scene', 'events'];

class PackedTestFailure extends Error {}

const seconds = (since) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

function step(message) {
  console.log(`\n[test:packed ${seconds(started)}] ${message}`);
}

function fail(problems) {
  const list = Array.isArray(problems) ? problems : [problems];
  throw new PackedTestFailure(list.map((problem) => `  - ${problem}`).join('\n'));
}

/** The environment for npm and the installed command: pnpm's own npm_config_* variables left out (npm warns about them), registry, cache and proxy settings kept. */
function userEnvironment() {
  const environment = {};
  for (const [key, value] of Object.entries(process.env)) {
    const fromPackageManager = /^(npm|pnpm)_(config|package|lifecycle)_/i.test(key) || /^(PNPM_|npm_command$|npm_execpath$)/i.test(key);
    if (fromPackageManager && !/registry|cache|proxy|cafile|strict_ssl|userconfig/i.test(key)) continue;
    if (key === 'NODE_OPTIONS') continue;
    environment[key] = value;
  }
  return environment;
}

/** Runs a command; throws with its output when it fails. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', env: userEnvironment(), maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) fail(`${command} ${args.join(' ')} could not start: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    fail(`${command} ${args.join(' ')} (in ${options.cwd ?? root}) exited with ${result.status ?? result.signal}:\n${output}`);
  }
  return result;
}

/** Every package.json under packages/ (node_modules and build output skipped). */
function packageManifests(directory = path.join(root, 'packages')) {
  const found = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (!entry.isDirectory() || ['node_modules', 'dist', 'src', '.turbo'].includes(entry.name)) continue;
    const folder = path.join(directory, entry.name);
    if (existsSync(path.join(folder, 'package.json'))) found.push(path.join(folder, 'package.json'));
    found.push(...packageManifests(folder));
  }
  return found;
}

/** The files of a .tgz (ustar with pax extended names): path → { mode, content }. */
function readTarball(file) {
  const archive = gunzipSync(readFileSync(file));
  const entries = new Map();
  const text = (start, length) => archive.toString('utf8', start, start + length).replace(/\0.*$/s, '');
  let offset = 0;
  let paxPath;
  while (offset + 512 <= archive.length && archive[offset] !== 0) {
    const size = Number.parseInt(text(offset + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(archive[offset + 156]);
    const prefix = text(offset + 257, 6) === 'ustar' ? text(offset + 345, 155) : '';
    const name = paxPath ?? (prefix ? `${prefix}/${text(offset, 100)}` : text(offset, 100));
    const content = archive.subarray(offset + 512, offset + 512 + size);
    paxPath = undefined;
    if (type === 'x') paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(content.toString('utf8'))?.[1];
    else if (type === '0' || type === '\0')
      entries.set(name.replace(/^package\//, ''), { mode: Number.parseInt(text(offset + 100, 8).trim(), 8), content });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/** Every file path an exports map names (conditions flattened). */
function exportTargets(exports) {
  if (typeof exports === 'string') return [exports];
  if (!exports || typeof exports !== 'object') return [];
  return Object.values(exports).flatMap(exportTargets);
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined for relative, absolute and built-in ones. */
function packageOf(specifier) {
  if (/^[./]/.test(specifier) || /^[a-z]+:/.test(specifier) || isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Problems of one packed package: manifest, files and imports, as users would meet them. */
function tarballProblems(files) {
  const manifest = JSON.parse(files.get('package.json').content.toString('utf8'));
  const name = manifest.name;
  const problems = [];
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|catalog|link|file):/.test(range)) problems.push(`${name}: ${field}.${dependency} is "${range}" in the tarball`);
    }
  }
  if (JSON.stringify(manifest).includes('@polytask/source'))
    problems.push(`${name}: the tarball's package.json names the @polytask/source condition (publishConfig.exports must replace exports)`);
  const named = [...exportTargets(manifest.exports), manifest.main, manifest.types, ...Object.values(manifest.bin ?? {})].filter(Boolean);
  for (const target of named) {
    if (!files.has(path.posix.normalize(target))) problems.push(`${name}: package.json names ${target}, which the tarball lacks`);
  }
  for (const [command, target] of Object.entries(manifest.bin ?? {})) {
    const file = files.get(path.posix.normalize(target));
    if (!file) continue;
    if ((file.mode & 0o111) === 0) problems.push(`${name}: bin ${command} (${target}) is not executable (mode ${file.mode.toString(8)})`);
    if (!file.content.toString('utf8').startsWith('#!/usr/bin/env node'))
      problems.push(`${name}: bin ${command} (${target}) lacks #!/usr/bin/env node`);
  }
  for (const file of files.keys()) {
    if (/(^|\/)(__fixtures__\/|test-[^/]*$|[^/]*\.(test|spec|bench|stress)\.[^/]*$)/.test(file))
      problems.push(`${name}: ships the test file ${file} (leave it out with "files")`);
  }
  const declared = new Set([
    name,
    ...['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((field) => Object.keys(manifest[field] ?? {})),
  ]);
  const optionalPeers = new Set(
    Object.keys(manifest.peerDependenciesMeta ?? {}).filter((peer) => manifest.peerDependenciesMeta[peer]?.optional),
  );
  for (const [file, { content }] of files) {
    if (!/^dist\/.*\.(js|d\.ts)$/.test(file)) continue;
    const source = content.toString('utf8');
    const imports = [
      ...source.matchAll(/\bfrom\s*["']([^"'\n]+)["']|\bimport\s*\(\s*["']([^"'\n]+)["']\s*\)|\bimport\s*["']([^"'\n]+)["']/g),
    ];
    for (const match of imports) {
      const imported = packageOf(match[1] ?? match[2] ?? match[3]);
      if (imported && !declared.has(imported))
        problems.push(`${name}: ${file} imports ${imported}, which its package.json does not declare`);
    }
    // optional dependencies loaded by name at run time must be declared, as optional peers
    for (const match of source.matchAll(/\b(?:import|require)Optional\d*\(\s*["']([^"'\n]+)["']/g)) {
      const imported = packageOf(match[1]);
      if (imported && !declared.has(imported))
        problems.push(`${name}: ${file} loads ${imported} at run time, which its package.json does not declare`);
      else if (imported && manifest.peerDependencies?.[imported] && !optionalPeers.has(imported))
        problems.push(`${name}: ${file} loads ${imported} as optional, but its peer dependency is not marked optional`);
    }
  }
  return problems;
}

/** Installed packages of a folder, from npm's lockfile: the node_modules entries that are not links. */
function installedPackages(folder) {
  const lock = JSON.parse(readFileSync(path.join(folder, 'package-lock.json'), 'utf8'));
  return Object.entries(lock.packages).filter(([key, entry]) => key.startsWith('node_modules/') && !entry.link);
}

/** What installing `name` alone brings (itself, its dependencies and required peers, transitively), read from a lockfile. */
function closureSize(name, lockPackages) {
  const byKey = new Map(lockPackages);
  const seen = new Set();
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    const entry = byKey.get(key);
    const required = Object.keys(entry.peerDependencies ?? {}).filter((peer) => !entry.peerDependenciesMeta?.[peer]?.optional);
    for (const dependency of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {}), ...required]) {
      // node's resolution: nearest node_modules upwards from the requiring package
      let base = key;
      let found;
      while (!found) {
        const candidate = `${base}/node_modules/${dependency}`;
        if (byKey.has(candidate)) found = candidate;
        else if (base === '' || !base.includes('/node_modules/'))
          found = byKey.has(`node_modules/${dependency}`) ? `node_modules/${dependency}` : null;
        else base = base.slice(0, base.lastIndexOf('/node_modules/'));
      }
      if (found) visit(found);
    }
  };
  visit(`node_modules/${name}`);
  return seen.size;
}

const npmInstallFlags = ['--no-audit', '--no-fund', '--loglevel=error', '--no-update-notifier'];

/** An empty application folder as a user starts one. */
function createApplication(folder) {
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    path.join(folder, 'package.json'),
    `${JSON.stringify({ name: 'packed-test-app', private: true, type: 'module' }, null, 2)}\n`,
  );
}

const workFolder = mkdtempSync(path.join(tmpdir(), 'polytask-packed-'));
process.on('exit', () => {
  if (keep) console.log(`kept ${workFolder}`);
  else rmSync(workFolder, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

try {
  step('finding the published packages');
  const published = packageManifests()
    .map((file) => ({ folder: path.dirname(file), manifest: JSON.parse(readFileSync(file, 'utf8')) }))
    .filter(({ manifest }) => !manifest.private);
  const unbuilt = published.filter(({ folder }) => !existsSync(path.join(folder, 'dist')));
  if (unbuilt.length) fail(`not built: ${unbuilt.map(({ manifest }) => manifest.name).join(', ')}; run pnpm build first`);
  console.log(`${published.length} packages: ${published.map(({ manifest }) => manifest.name).join(', ')}`);

  step('pnpm pack');
  const tarballFolder = path.join(workFolder, 'tarballs');
  const filters = published.flatMap(({ manifest }) => ['--filter', manifest.name]);
  run('pnpm', ['--recursive', ...filters, 'pack', '--pack-destination', tarballFolder], { cwd: root });
  const tarballs = new Map();
  for (const file of readdirSync(tarballFolder).filter((name) => name.endsWith('.tgz'))) {
    const files = readTarball(path.join(tarballFolder, file));
    tarballs.set(JSON.parse(files.get('package.json').content.toString('utf8')).name, { file: path.join(tarballFolder, file), files });
  }
  const unpacked = published.filter(({ manifest }) => !tarballs.has(manifest.name));
  if (unpacked.length) fail(`pnpm pack made no tarball for ${unpacked.map(({ manifest }) => manifest.name).join(', ')}`);

  step('checking the tarballs');
  const problems = [...tarballs.values()].flatMap(({ files }) => tarballProblems(files));
  if (problems.length) fail(problems);
  for (const [name, { files }] of tarballs) console.log(`${name}: ${files.size} files`);

  step('npm install of every tarball into an empty folder');
  const application = path.join(workFolder, 'app');
  createApplication(application);
  const manifestOf = (name) => JSON.parse(tarballs.get(name).files.get('package.json').content.toString('utf8'));
  const polytaskPeers = Object.entries(manifestOf('polytask').peerDependencies ?? {});
  const peerRange = (peer) => [...tarballs.keys()].map((name) => manifestOf(name).peerDependencies?.[peer]).find(Boolean);
  const peers = [...polytaskPeers, ...optionalPeersToInstall.map((peer) => [peer, peerRange(peer)])].map(([peer, range]) => {
    if (!range) fail(`no published package declares ${peer} as a peer dependency any more; update optionalPeersToInstall`);
    return `${peer}@${range}`;
  });
  console.log(`npm install <${tarballs.size} tarballs> ${peers.join(' ')}`);
  let since = performance.now();
  run('npm', ['install', ...npmInstallFlags, ...[...tarballs.values()].map(({ file }) => file), ...peers], { cwd: application });
  const installed = installedPackages(application);
  console.log(`installed ${installed.length} packages in ${seconds(since)}`);
  for (const absent of ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) {
    if (existsSync(path.join(application, 'node_modules', absent))) fail(`npm installed ${absent}, which must stay optional`);
  }

  step('importing every export of every installed package');
  const entryPoints = [...tarballs.keys()].flatMap((name) =>
    Object.keys(manifestOf(name).exports ?? { '.': null })
      .filter((subpath) => !subpath.endsWith('.json') && !subpath.includes('*'))
      .map((subpath) => (subpath === '.' ? name : `${name}/${subpath.slice(2)}`)),
  );
  const importer = `for (const entry of ${JSON.stringify(entryPoints)}) await import(entry).catch((error) => { console.error(entry + ': ' + error.message); process.exitCode = 1; });`;
  run(process.execPath, ['--input-type=module', '--eval', importer], { cwd: application });
  console.log(`${entryPoints.length} entry points import`);

  step('install footprint');
  console.log('packages each brings when installed alone (with its required peers; from the full install lockfile):');
  for (const name of [...tarballs.keys()].sort()) console.log(`  ${name}: ${closureSize(name, installed)}`);
  const extractionAlone = path.join(workFolder, 'extraction-alone');
  createApplication(extractionAlone);
  since = performance.now();
  run('npm', ['install', ...npmInstallFlags, tarballs.get('@polytask/extraction').file, tarballs.get('@polytask/core').file], {
    cwd: extractionAlone,
  });
  const extractionPackages = installedPackages(extractionAlone).map(([key]) => key.replace(/^.*node_modules\//, ''));
  console.log(
    `@polytask/extraction + @polytask/core installed alone: ${extractionPackages.length} packages (${extractionPackages.join(', ')}) in ${seconds(since)}`,
  );
  const unwanted = extractionPackages.filter((name) => name === 'meyda' || name.startsWith('@tensorflow/'));
  if (unwanted.length)
    fail(
      `installing @polytask/extraction alone pulled ${unwanted.join(', ')} (optional peers must stay optional; extraction must not need tfjs)`,
    );

  step('polytask run for every extraction method');
  const methodsScript =
    "const { builtInExtractionMethods, resampleMethods } = await import('@polytask/extraction'); console.log(JSON.stringify({ methods: builtInExtractionMethods.map((method) => method.name), resampleMethods }));";
  const { methods, resampleMethods } = JSON.parse(
    run(process.execPath, ['--input-type=module', '--eval', methodsScript], { cwd: application }).stdout,
  );
  const runs = methods.map((method, index) => ({ method, resampling: resampleMethods[index % resampleMethods.length] }));
  const untried = resampleMethods.filter((resampling) => !runs.some((entry) => entry.resampling === resampling));
  runs.push(...untried.map((resampling) => ({ method: 'log-mel', resampling })));
  for (const { method, resampling } of runs) {
    const name = `${method}-${resampling}`;
    const parameters = smallParameters[method];
    const config = {
      name,
      datasets: [
        { reader: 'synthetic', options: { directory: path.join(application, 'corpora', 'voices'), clipsPerSpeakerAndKeyword: 1 } },
        {
          reader: 'synthetic',
          options: { corpus: 'scenes', directory: path.join(application, 'corpora', 'scenes'), clipsPerSiteAndScene: 2 },
        },
      ],
      // 16 kHz: the scenes corpus (22050 Hz) is resampled
      extraction: { name: method, sampleRate: 16000, resampling, params: parameters ?? {} },
      cacheDirectory: path.join(application, 'cache'),
      runsDirectory: path.join(application, 'runs', name),
      split: { kind: 'ratio', testFraction: 0.3, seed: 1 },
      model: { kind: 'dnn', hiddenUnits: [8] },
      training: { epochs: 1, batchSize: 16, seed: 3 },
      baselines: false,
      backend: 'cpu',
    };
    const file = path.join(application, `${name}.json`);
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
    since = performance.now();
    run('npx', ['--no', 'polytask', 'run', file], { cwd: application });
    const [runFolder, ...others] = readdirSync(config.runsDirectory).filter((entry) => !entry.startsWith('.'));
    if (!runFolder || others.length) fail(`${name}: expected one run folder in ${config.runsDirectory}`);
    const summaryFile = path.join(config.runsDirectory, runFolder, 'summary.json');
    if (!existsSync(summaryFile)) fail(`${name}: polytask run exited 0 but wrote no summary.json`);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
    const recorded = JSON.parse(readFileSync(path.join(config.runsDirectory, runFolder, 'config.json'), 'utf8')).extraction;
    const reported = new Map(summary.summary.map((row) => [row.task, row]));
    const summaryProblems = [
      ...(summary.status === 'success' ? [] : [`${name}: summary status is ${summary.status}`]),
      ...(recorded.name === method && recorded.resampling === resampling
        ? []
        : [`${name}: the run recorded extraction ${recorded.name} with ${recorded.resampling} resampling`]),
      ...expectedTasks
        .filter((task) => !reported.get(task)?.multiTask.every(Number.isFinite) || !reported.get(task)?.multiTask.length)
        .map((task) => `${name}: the summary has no finite multi-task ${task} result`),
    ];
    if (summaryProblems.length) fail(summaryProblems);
    console.log(
      `${method} (${resampling} resampling${parameters ? '' : ', default parameters'}): exit 0, summary of ${reported.size} tasks, ${seconds(since)}`,
    );
  }

  step(
    `passed: ${tarballs.size} packages packed and installed (${installed.length} packages in all), ${runs.length} runs of the installed polytask command`,
  );
} catch (error) {
  if (!(error instanceof PackedTestFailure)) throw error;
  console.error(`\ntest:packed failed after ${seconds(started)}:\n${error.message}`);
  process.exitCode = 1;
}
