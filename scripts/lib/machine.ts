import os from "node:os";

/** The machine a figure was measured on, as the bench files and the Monte Carlo's report record it. */
export interface Machine {
  os: string;
  cpu: string;
  cores: number;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
  };
}
