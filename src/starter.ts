import { Command } from 'commander';
import { DomainError } from './domain/errors.js';
import { registerClusterCommands } from './starter/cluster-commands.js';
import { registerJanitorCommands } from './starter/janitor-commands.js';
import { registerKernelCommands } from './starter/kernel-commands.js';
import { registerListCommand } from './starter/list-command.js';
import { registerSparkJobCommands } from './starter/spark-job-commands.js';

/** The CLI for people: talks to Temporal directly (TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE). */
const program = new Command('starter')
  .description('Start, follow, cancel and list compute-orchestrator workflows.')
  .showHelpAfterError();
registerSparkJobCommands(program);
registerKernelCommands(program);
registerClusterCommands(program);
registerJanitorCommands(program);
registerListCommand(program);

await program.parseAsync().catch((error: Error) => {
  console.error(`starter: ${error.message}`);
  process.exit(error instanceof DomainError && error.code === 'VALIDATION' ? 2 : 1);
});
