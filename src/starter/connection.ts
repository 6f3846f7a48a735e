import { connectTemporal, type TemporalHandle } from '../client/temporal.js';
import { loadRuntimeConfig } from '../config.js';

/** Runs `work` with a Temporal connection from the environment (TEMPORAL_ADDRESS, …), then closes it. */
export async function withTemporal<T>(work: (temporal: TemporalHandle, config: ReturnType<typeof loadRuntimeConfig>) => Promise<T>): Promise<T> {
  const config = loadRuntimeConfig();
  const temporal = await connectTemporal(config);
  try {
    return await work(temporal, config);
  } finally {
    await temporal.close();
  }
}
