import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = 100;

function statFields(pid: number): number[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').map(Number);
}

/** CPU seconds of a process itself, and of its children it has waited for (spark-submit's JVMs once they exit). */
export function cpuSeconds(pid: number): { own: number; children: number } {
  const fields = statFields(pid);
  return { own: (fields[11]! + fields[12]!) / ticksPerSecond, children: (fields[13]! + fields[14]!) / ticksPerSecond };
}

/** Resident memory of a process, in MiB. */
export function rssMiB(pid: number): number {
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024);
}

/** The live descendants of a process whose command line matches `pattern` (the Spark submitter's JVM, say). */
export function descendantsMatching(pid: number, pattern: RegExp): number[] {
  const children = readdirSync(`/proc/${pid}/task`).flatMap((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
  return children.flatMap((child) => {
    let commandLine = '';
    try {
      commandLine = readFileSync(`/proc/${child}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      return [];
    }
    return [...(pattern.test(commandLine) ? [child] : []), ...descendantsMatching(child, pattern)];
  });
}
