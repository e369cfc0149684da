import os from 'node:os';

/** The machine a benchmark ran on, as printed at the top of every run. */
export interface Machine {
  /** CPU model as the OS reports it (`AMD EPYC`). */
  readonly cpu: string;
  /** Logical cores the OS reports. */
  readonly cores: number;
  /** Cores node may use (cgroup and affinity limits applied). */
  readonly coresAvailable: number;
  /** `v20.20.2`. */
  readonly node: string;
  /** `linux x64`. */
  readonly platform: string;
  /** Physical memory, GiB, one decimal. */
  readonly memoryGiB: number;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    coresAvailable: os.availableParallelism(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}

export function renderMachine(m: Machine): string {
  return `machine: ${m.cpu}, ${m.cores} cores (${m.coresAvailable} available), ${m.memoryGiB} GiB, ${m.platform}, node ${m.node}`;
}
