import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';

export interface MachineInfo {
  readonly node: string;
  readonly platform: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  /** The 1-minute load average before the benchmark started anything: other work on the machine. */
  readonly loadAverageAtStart: number;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    node: process.version,
    platform: `${platform()} ${release()} ${arch()}`,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: Math.round(loadavg()[0]! * 100) / 100,
  };
}
