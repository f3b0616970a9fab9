/**
 * A real single-node Slurm cluster for tests: munged, slurmctld and slurmd started as root from
 * Debian's packages, everything (config, munge key and socket, state, spool, logs, pid files) in
 * a fresh temporary folder, on a free port pair, with no accounting. Clients find it through the
 * `SLURM_CONF` of {@link SlurmCluster.env}; nothing under /etc is read or written. Where it
 * cannot run (no binaries, not root, daemons not up in time) {@link startSlurmCluster} says why
 * instead of throwing. See SLURM.md next to this file for what Slurm 22.05 does here.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';

/** How one job (or one array task) ended, as `scontrol show job` reports it. */
export interface SlurmJobOutcome {
  /** COMPLETED, FAILED, CANCELLED, TIMEOUT, …; PENDING only with reason DependencyNeverSatisfied. */
  state: string;
  /** `exit status:signal`, e.g. `3:0` for `exit 3`, `0:9` for SIGKILL. */
  exitCode: string;
  /** Slurm's reason, e.g. NonZeroExitCode, DependencyNeverSatisfied, TimeLimit, None. */
  reason: string;
}

/** A running test cluster. */
export interface SlurmCluster {
  /**
   * What sbatch, squeue, scontrol and scancel child processes need on top of `process.env`
   * (`SLURM_CONF`; drop inherited `SLURM_*`/`SBATCH_*` variables if the tests may run inside a Slurm job).
   */
  env: Record<string, string>;
  /** The one (default) partition. */
  partition: string;
  /** The cluster's temporary folder (config, logs, state); removed by {@link SlurmCluster.stop}. */
  directory: string;
  /** The CPUs the node offers. */
  cpus: number;
  /** The daemons' pids (from their pid files). */
  daemons: { munged: number; slurmctld: number; slurmd: number };
  /**
   * Waits until every given job has ended and returns the outcome of each, keyed by job id for
   * plain jobs and `<array job id>_<task id>` for array tasks; an array job id also gets its own
   * entry: COMPLETED when every task completed, otherwise the first task (by id) that did not.
   * A job pending with reason DependencyNeverSatisfied counts as ended (it would never run).
   * Rejects after `timeoutMs` with the last states seen.
   */
  waitForJobs(jobIds: string[], timeoutMs: number): Promise<Record<string, SlurmJobOutcome>>;
  /** Cancels every job, stops the daemons and whatever they started, removes the folder. Idempotent. */
  stop(): Promise<void>;
}

/** Why no cluster was started. */
export interface SlurmClusterSkipped {
  skipped: string;
}

const partition = 'polytask';
const startupTimeoutMs = 30_000;
const commandTimeoutMs = 15_000;
const endedStates = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'OUT_OF_MEMORY',
]);
const binaries = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo'] as const;
type Binary = (typeof binaries)[number];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The environment without Slurm's variables (set when the tests themselves run in a Slurm job, or by a user's SBATCH_* defaults). */
function outsideSlurm(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !/^(SLURM|SBATCH|SQUEUE|SINFO|SCONTROL|SALLOC|SRUN)_/.test(name)));
}

/** The absolute path of an executable on PATH or in the sbin folders (daemons live in /usr/sbin). */
function findExecutable(name: string): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const folder of folders.filter(Boolean)) {
    const candidate = path.join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The binaries' paths, or why the cluster cannot run here. */
function prerequisites(): Record<Binary, string> | string {
  if (process.platform !== 'linux') return `Slurm test cluster needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'Slurm test cluster needs root (the daemons run as root)';
  const found: Partial<Record<Binary, string>> = {};
  const missing: string[] = [];
  for (const name of binaries) {
    const file = findExecutable(name);
    if (file) found[name] = file;
    else missing.push(name);
  }
  if (missing.length > 0) return `Slurm test cluster needs ${missing.join(', ')} (apt-get install slurmctld slurmd munge)`;
  return found as Record<Binary, string>;
}

/** Runs a client command; resolves with its exit code and output (never rejects). */
function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: commandTimeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr: stderr || (error && code === -1 ? error.message : '') });
    });
  });
}

/**
 * Starts a daemon that forks into the background; resolves with the exit code of the starting
 * process. Its stdout and stderr go to a file (the daemons close them once they have forked, so
 * waiting on pipes would never end).
 */
function startDaemon(file: string, args: string[], env: NodeJS.ProcessEnv, outputFile: string): Promise<number | null> {
  const output = openSync(outputFile, 'a');
  return new Promise<number | null>((resolve) => {
    const child: ChildProcess = spawn(file, args, { env, stdio: ['ignore', output, output] });
    child.on('error', () => resolve(-1));
    child.on('exit', (code) => resolve(code));
  }).finally(() => closeSync(output));
}

/** Two free TCP ports (slurmctld's and slurmd's). */
async function freePorts(): Promise<[number, number]> {
  const one = () =>
    new Promise<{ port: number; close: () => void }>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '0.0.0.0', () => {
        const address = server.address();
        resolve({ port: typeof address === 'object' && address ? address.port : 0, close: () => server.close() });
      });
    });
  const first = await one();
  const second = await one();
  first.close();
  second.close();
  return [first.port, second.port];
}

/** The node's hardware as `slurmd -C` reports it (`NodeName=vm CPUs=2 … RealMemory=24105`). */
async function hardware(slurmd: string, env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const { stdout } = await run(slurmd, ['-C'], env);
  return parseRecord(stdout.split('\n')[0] ?? '');
}

/** `Key=Value Key=Value …` (one `scontrol -o` line, or `slurmd -C`'s) as an object. */
function parseRecord(line: string): Record<string, string> {
  const record: Record<string, string> = {};
  for (const match of line.matchAll(/(?:^|\s)([A-Za-z][\w/:.]*)=(.*?)(?=\s+[A-Za-z][\w/:.]*=|\s*$)/g)) {
    record[match[1] as string] = match[2] as string;
  }
  return record;
}

/** The NodeName line: the hardware's layout when all its CPUs are offered, otherwise only the count. */
function nodeLine(node: string, cpus: number, machine: Record<string, string>): string {
  const memory = `RealMemory=${machine.RealMemory ?? 1000}`;
  if (String(cpus) !== machine.CPUs) return `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} ${memory} State=UNKNOWN`;
  const layout = ['Boards', 'SocketsPerBoard', 'CoresPerSocket', 'ThreadsPerCore'].filter((key) => machine[key]);
  return `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} ${layout.map((key) => `${key}=${machine[key]}`).join(' ')} ${memory} State=UNKNOWN`;
}

/** slurm.conf for one node, one partition, root daemons, no accounting, everything under `directory`. */
function slurmConf(directory: string, node: string, ports: [number, number], nodeDefinition: string): string {
  const at = (name: string) => path.join(directory, name);
  return `${[
    'ClusterName=polytask-test',
    `SlurmctldHost=${node}(127.0.0.1)`,
    `SlurmctldPort=${ports[0]}`,
    `SlurmdPort=${ports[1]}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${at('munge.socket')}`,
    `StateSaveLocation=${at('state')}`,
    `SlurmdSpoolDir=${at('spool')}`,
    `SlurmctldPidFile=${at('slurmctld.pid')}`,
    `SlurmdPidFile=${at('slurmd.pid')}`,
    `SlurmctldLogFile=${at('slurmctld.log')}`,
    `SlurmdLogFile=${at('slurmd.log')}`,
    `PlugStackConfig=${at('plugstack.conf')}`,
    'MailProg=/bin/true',
    // no cgroups here: processes are tracked by their parents, tasks are not bound to CPUs
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/none',
    'MpiDefault=none',
    'SwitchType=switch/none',
    // CPUs are the consumable resource: array tasks share the node, one CPU each by default
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    // ended jobs stay visible to squeue and scontrol for an hour (there is no sacct)
    'MinJobAge=3600',
    // a job asking for more than the node has is refused at submission instead of pending forever
    'EnforcePartLimits=ALL',
    'ReturnToService=2',
    'KillWait=5',
    'InactiveLimit=0',
    // schedule a submitted batch job at once (by default it may wait up to 3 s)
    'SchedulerParameters=batch_sched_delay=0,sched_min_interval=0',
    'MessageTimeout=5',
    // the node may be declared with more CPUs than it has (options.cpus)
    'SlurmdParameters=config_overrides',
    nodeDefinition,
    `PartitionName=${partition} Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
  ].join('\n')}\n`;
}

/** The pid in a pid file, or 0. */
function readPid(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    if (pid > 0) process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Waits until none of the processes is alive; false when some still are after `ms`. */
async function gone(pids: number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (pids.some(alive)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * Processes whose environment names this cluster's slurm.conf: the daemons (started with it),
 * slurmstepd and every job's processes (Slurm sets SLURM_CONF for them), which outlive slurmd.
 */
function clusterProcesses(conf: string): number[] {
  const marker = Buffer.from(`SLURM_CONF=${conf}\0`);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`).includes(marker)) pids.push(pid);
    } catch {
      // gone, or not readable
    }
  }
  return pids;
}

/** The last lines of the daemons' logs, for a skip reason. */
function logTails(directory: string): string {
  const names = ['munged.log', 'slurmctld.log', 'slurmd.log', 'daemons.out'];
  const tail = (name: string) => {
    const file = path.join(directory, name);
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' | ') : '';
  };
  return names
    .map((name) => [name, tail(name)])
    .filter(([, lines]) => lines !== '')
    .map(([name, lines]) => `${name}: ${lines}`)
    .join('\n');
}

/** One `scontrol -o show job` record as an outcome key and outcome. */
function outcomeOf(record: Record<string, string>): [string, SlurmJobOutcome] {
  const task = record.ArrayTaskId;
  const key =
    task === undefined ? (record.JobId ?? '') : /^\d+$/.test(task) ? `${record.ArrayJobId}_${task}` : `${record.ArrayJobId}_[${task}]`;
  return [key, { state: record.JobState ?? 'UNKNOWN', exitCode: record.ExitCode ?? '', reason: record.Reason ?? '' }];
}

function ended(outcome: SlurmJobOutcome): boolean {
  return endedStates.has(outcome.state) || outcome.reason === 'DependencyNeverSatisfied';
}

/** An array job's own outcome: COMPLETED when every task completed, else the first task (by id) that did not. */
function arrayOutcome(tasks: [string, SlurmJobOutcome][]): SlurmJobOutcome {
  const taskNumber = (key: string) => Number(key.split('_')[1]);
  const sorted = [...tasks].sort(([a], [b]) => taskNumber(a) - taskNumber(b));
  const first = sorted.find(([, outcome]) => outcome.state !== 'COMPLETED') ?? sorted[0];
  return first ? first[1] : { state: 'UNKNOWN', exitCode: '', reason: '' };
}

type Client = (binary: Binary, args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

/** The outcomes of one job id's records (one for a plain job, one per task or pending range for an array). */
async function jobOutcomes(client: Client, jobId: string): Promise<[string, SlurmJobOutcome][]> {
  const { code, stdout, stderr } = await client('scontrol', ['-o', 'show', 'job', jobId]);
  if (code !== 0) throw new Error(`scontrol show job ${jobId} failed (${code}): ${stderr.trim()}`);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => outcomeOf(parseRecord(line)));
}

/** Polls `scontrol show job` until every record of every job id has ended. */
async function waitForJobs(client: Client, jobIds: string[], timeoutMs: number): Promise<Record<string, SlurmJobOutcome>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result: Record<string, SlurmJobOutcome> = {};
    let allEnded = true;
    for (const jobId of jobIds) {
      const records = await jobOutcomes(client, jobId);
      for (const [key, outcome] of records) result[key] = outcome;
      allEnded &&= records.length > 0 && records.every(([, outcome]) => ended(outcome));
      if (!(jobId in result)) result[jobId] = arrayOutcome(records);
    }
    if (allEnded) return result;
    if (Date.now() > deadline)
      throw new Error(`Slurm jobs ${jobIds.join(', ')} had not ended after ${timeoutMs} ms: ${JSON.stringify(result)}`);
    await sleep(250);
  }
}

/** Cancels every job and waits (a little) until none runs any more. */
async function cancelJobs(client: Client): Promise<void> {
  await client('scancel', ['--partition', partition]);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { code, stdout } = await client('squeue', ['-h', '-t', 'RUNNING,COMPLETING,CONFIGURING', '-o', '%i']);
    if (code !== 0 || stdout.trim() === '') return;
    await sleep(200);
  }
}

/** Stops everything the cluster started (by pid files, then anything still carrying its SLURM_CONF). */
async function stopCluster(directory: string, conf: string, client: Client, daemonsUp: boolean): Promise<void> {
  const slurm = [readPid(path.join(directory, 'slurmctld.pid')), readPid(path.join(directory, 'slurmd.pid'))];
  // (clients wait MessageTimeout seconds and retry when the controller is gone)
  if (daemonsUp && slurm.every(alive)) await cancelJobs(client);
  for (const pid of slurm) signal(pid, 'SIGTERM');
  if (!(await gone(slurm, 10_000))) for (const pid of slurm) signal(pid, 'SIGKILL');
  // slurmstepd and job processes outlive slurmd
  const munged = readPid(path.join(directory, 'munged.pid'));
  const leftovers = clusterProcesses(conf).filter((pid) => pid !== munged);
  for (const pid of leftovers) signal(pid, 'SIGKILL');
  signal(munged, 'SIGTERM');
  if (!(await gone([munged], 5_000))) signal(munged, 'SIGKILL');
  await gone([...slurm, ...leftovers, munged, ...clusterProcesses(conf)], 5_000);
  rmSync(directory, { recursive: true, force: true });
}

/** Waits until the node is idle in the partition; false after the start-up time. */
async function nodeIdle(client: Client): Promise<boolean> {
  const deadline = Date.now() + startupTimeoutMs;
  while (Date.now() < deadline) {
    const { code, stdout } = await client('sinfo', ['-h', '-p', partition, '-o', '%T']);
    if (code === 0 && stdout.trim() === 'idle') return true;
    await sleep(100);
  }
  return false;
}

/** Writes the munge key, slurm.conf and the folders the daemons expect. */
async function prepare(directory: string, slurmd: string, env: NodeJS.ProcessEnv, cpus: number | undefined): Promise<number> {
  // munged refuses a socket in a folder that not everyone may enter; the key stays owner-only
  chmodSync(directory, 0o755);
  mkdirSync(path.join(directory, 'state'));
  mkdirSync(path.join(directory, 'spool'));
  writeFileSync(path.join(directory, 'munge.key'), randomBytes(128), { mode: 0o600 });
  writeFileSync(path.join(directory, 'plugstack.conf'), '');
  const machine = await hardware(slurmd, env);
  const nodeCpus = cpus ?? (Number(machine.CPUs) || 1);
  const node = hostname().split('.')[0] as string;
  const ports = await freePorts();
  writeFileSync(env.SLURM_CONF as string, slurmConf(directory, node, ports, nodeLine(node, nodeCpus, machine)));
  return nodeCpus;
}

/** Starts munged, slurmctld and slurmd in order; the first that fails to start is named. */
async function startDaemons(directory: string, bin: Record<Binary, string>, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const at = (name: string) => path.join(directory, name);
  const output = at('daemons.out');
  const munge = [`--socket=${at('munge.socket')}`, `--key-file=${at('munge.key')}`, `--log-file=${at('munged.log')}`];
  munge.push(`--pid-file=${at('munged.pid')}`, `--seed-file=${at('munged.seed')}`);
  const steps: [string, string, string[]][] = [
    ['munged', bin.munged, munge],
    ['slurmctld', bin.slurmctld, []],
    ['slurmd', bin.slurmd, []],
  ];
  for (const [name, file, args] of steps) {
    const code = await startDaemon(file, args, env, output);
    if (code !== 0) return `${name} exited with ${code}`;
  }
  return undefined;
}

/**
 * Starts a single-node Slurm cluster in a fresh temporary folder (see the module comment).
 * Never throws: resolves with `{ skipped }` and the reason (and what the logs said) when the
 * binaries are missing, the process is not root, or the daemons are not up within 30 s.
 * `options.cpus` declares that many CPUs for the node (default: all the machine has).
 */
export async function startSlurmCluster(options: { cpus?: number } = {}): Promise<SlurmCluster | SlurmClusterSkipped> {
  const bin = prerequisites();
  if (typeof bin === 'string') return { skipped: bin };
  const directory = mkdtempSync(path.join(tmpdir(), 'polytask-slurm-'));
  const conf = path.join(directory, 'slurm.conf');
  const clusterEnv = { SLURM_CONF: conf };
  const env = { ...outsideSlurm(process.env), ...clusterEnv };
  const client: Client = (binary, args) => run(bin[binary], args, env);
  let stopped: Promise<void> | undefined;
  let up = false;
  const stop = () => {
    stopped ??= stopCluster(directory, conf, client, up);
    return stopped;
  };
  try {
    const cpus = await prepare(directory, bin.slurmd, env, options.cpus);
    const failed = await startDaemons(directory, bin, env);
    up = failed === undefined && (await nodeIdle(client));
    if (!up) {
      const reason = `Slurm test cluster did not come up (${failed ?? `node not idle after ${startupTimeoutMs / 1000} s`}):\n${logTails(directory)}`;
      await stop();
      return { skipped: reason };
    }
    const daemons = {
      munged: readPid(path.join(directory, 'munged.pid')),
      slurmctld: readPid(path.join(directory, 'slurmctld.pid')),
      slurmd: readPid(path.join(directory, 'slurmd.pid')),
    };
    return { env: clusterEnv, partition, directory, cpus, daemons, waitForJobs: (ids, ms) => waitForJobs(client, ids, ms), stop };
  } catch (error) {
    const reason = `Slurm test cluster could not start: ${error instanceof Error ? error.message : String(error)}`;
    await stop().catch(() => undefined);
    return { skipped: reason };
  }
}
