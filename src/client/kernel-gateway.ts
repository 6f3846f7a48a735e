import { DomainError, notFoundError, validationError } from '../domain/errors.js';
import type { KernelStatus } from '../domain/kernel-session.js';
import { connectsBack, type KernelSpec } from '../domain/kernel-specs.js';
import type { KernelConnectionInfo } from '../jupyter/connection-info.js';
import { sendLauncherCommand } from '../jupyter/launcher-commands.js';
import { KernelClient } from '../jupyter/kernel-client.js';
import { KernelsClient } from './kernels.js';
import { startKernel, type KernelStart } from './start-kernel.js';

/** Who asks: a token bound to one user acts for that user only. */
export interface GatewayActor {
  name: string;
  user?: string;
}

/** Where a running kernel is reached: its connection information and its pod's address. */
export interface KernelEndpoint {
  info: KernelConnectionInfo;
  host: string;
}

/** Reads a running kernel's connection information (kept in its namespace); undefined while it has none. */
export type KernelEndpoints = (status: KernelStatus) => Promise<KernelEndpoint | undefined>;

/** A kernel as Jupyter's REST API describes it. */
export interface JupyterKernelModel {
  id: string;
  name: string;
  last_activity: string;
  execution_state: string;
  connections: number;
}

export interface JupyterKernelSpec {
  name: string;
  spec: { argv: string[]; display_name: string; language: string; interrupt_mode: 'signal'; env: Record<string, string>; metadata: Record<string, unknown> };
  resources: Record<string, string>;
}

const interruptSignal = 2;
const answerTimeoutMs = 10_000;

function asModel(status: KernelStatus): JupyterKernelModel {
  return {
    id: status.kernelId,
    name: status.kernelName,
    last_activity: status.lastActivity,
    execution_state: status.phase === 'STARTING' ? 'starting' : status.executionState ?? 'idle',
    connections: status.connections ?? 0,
  };
}

export const isLive = (status: KernelStatus): boolean => status.phase === 'STARTING' || status.phase === 'RUNNING';

/**
 * Jupyter's gateway API on the kernel sessions (the same sessions as /v1/kernels): what Jupyter
 * Server's GatewayClient asks Enterprise Gateway. Kernels are Jupyter's while they live: an ended
 * one is not found. A token bound to a user sees and starts that user's kernels only.
 */
export class KernelGateway {
  private readonly kernels: KernelsClient;

  constructor(
    private readonly starting: KernelStart,
    private readonly endpoints: KernelEndpoints,
    private readonly startPollMs = 250,
  ) {
    this.kernels = new KernelsClient(starting.temporal, starting.taskQueue);
  }

  specs(): { default: string; kernelspecs: Record<string, JupyterKernelSpec> } {
    const { defaultKernel, kernels } = this.starting.kernels.catalog.all();
    const reachable = kernels.filter(connectsBack);
    return {
      default: reachable.some((spec) => spec.name === defaultKernel) ? defaultKernel : reachable[0]?.name ?? defaultKernel,
      kernelspecs: Object.fromEntries(reachable.map((spec) => [spec.name, this.asSpec(spec)])),
    };
  }

  spec(name: string): JupyterKernelSpec {
    const found = this.starting.kernels.catalog.all().kernels.find((spec) => spec.name === name && connectsBack(spec));
    if (!found) throw notFoundError(`no kernel spec '${name}'`);
    return this.asSpec(found);
  }

  /**
   * Starts a kernel and answers once it is usable (it answered a kernel_info_request), as
   * Enterprise Gateway does. Of the environment only KERNEL_* variables are a kernel's (EG
   * passes no other); KERNEL_USERNAME names the user.
   */
  async start(actor: GatewayActor, request: { name?: string; env?: Record<string, string> }): Promise<JupyterKernelModel> {
    const env = Object.fromEntries(Object.entries(request.env ?? {}).filter(([name]) => name.startsWith('KERNEL_')));
    const user = env.KERNEL_USERNAME ?? actor.user;
    if (user === undefined) throw validationError('env.KERNEL_USERNAME', 'env.KERNEL_USERNAME is required: the user the kernel runs for');
    this.requireActsFor(actor, user);
    if (request.name !== undefined) this.spec(request.name);
    const started = await startKernel(this.starting, { user, ...(request.name !== undefined ? { kernelName: request.name } : {}), env });
    const giveUpAt = Date.now() + (started.plan.launchTimeoutSeconds + 60) * 1000;
    for (;;) {
      const status = await this.kernels.status(started.kernelId);
      if (status.phase === 'RUNNING') return asModel(status);
      if (!isLive(status)) throw new DomainError('UNAVAILABLE', `kernel ${status.kernelId} did not start: ${status.error ?? status.phase}`);
      if (Date.now() > giveUpAt) throw new DomainError('UNAVAILABLE', `kernel ${status.kernelId} is still starting; it stays a session of /v1/kernels`);
      await new Promise((resolve) => setTimeout(resolve, this.startPollMs));
    }
  }

  async list(actor: GatewayActor): Promise<JupyterKernelModel[]> {
    const statuses = await this.kernels.list({ running: true, ...(actor.user === undefined ? {} : { user: actor.user }) });
    return statuses.filter(isLive).map(asModel);
  }

  async get(actor: GatewayActor, kernelId: string): Promise<JupyterKernelModel> {
    return asModel(await this.live(actor, kernelId));
  }

  /** The live session of a kernel the actor may use: an ended or unknown one is not found, another user's forbidden. */
  async live(actor: GatewayActor, kernelId: string): Promise<KernelStatus> {
    const status = await this.kernels.status(kernelId).catch((error: unknown) => {
      if (error instanceof DomainError && (error.code === 'NOT_FOUND' || error.code === 'CONFLICT')) throw notFoundError(`no kernel '${kernelId}'`);
      throw error;
    });
    if (!isLive(status)) throw notFoundError(`no kernel '${kernelId}': it ended (${status.phase})`);
    this.requireActsFor(actor, status.user);
    return status;
  }

  async shutdown(actor: GatewayActor, kernelId: string): Promise<void> {
    await this.live(actor, kernelId);
    await this.kernels.shutdown(kernelId, { by: actor.name, reason: "Jupyter's DELETE /api/kernels" });
  }

  async restart(actor: GatewayActor, kernelId: string): Promise<JupyterKernelModel> {
    await this.live(actor, kernelId);
    return asModel(await this.kernels.restart(kernelId, { by: actor.name }));
  }

  /**
   * Interrupts what the kernel runs: SIGINT through its launcher's port, as Enterprise Gateway
   * does, or Jupyter's interrupt_request when the launcher gave no port.
   */
  async interrupt(actor: GatewayActor, kernelId: string): Promise<void> {
    const { endpoint } = await this.endpoint(actor, kernelId);
    if (endpoint.info.comm_port !== undefined) {
      await sendLauncherCommand(endpoint.host, endpoint.info.comm_port, { signum: interruptSignal }, answerTimeoutMs);
      return;
    }
    const client = KernelClient.connect(endpoint.info, endpoint.host);
    try {
      await client.request('control', 'interrupt_request', {}, answerTimeoutMs);
    } finally {
      client.close();
    }
  }

  /** A running kernel's session and endpoint, for its channels; one still starting is a conflict. */
  async endpoint(actor: GatewayActor, kernelId: string): Promise<{ status: KernelStatus; endpoint: KernelEndpoint }> {
    const status = await this.live(actor, kernelId);
    const endpoint = status.phase === 'RUNNING' ? await this.endpoints(status) : undefined;
    if (!endpoint) throw new DomainError('CONFLICT', `kernel '${kernelId}' is ${status.phase === 'RUNNING' ? 'not reachable' : 'still starting'}: try again once it runs`);
    return { status, endpoint };
  }

  private requireActsFor(actor: GatewayActor, user: string): void {
    if (actor.user !== undefined && actor.user !== user) {
      throw new DomainError('FORBIDDEN', `token '${actor.name}' acts for user '${actor.user}', not for '${user}'`);
    }
  }

  private asSpec(spec: KernelSpec): JupyterKernelSpec {
    return {
      name: spec.name,
      spec: {
        // The launcher in the kernel's image starts the kernel: nothing runs on the gateway's side.
        argv: [],
        display_name: spec.displayName,
        language: spec.language,
        interrupt_mode: 'signal',
        env: {},
        metadata: { image: spec.image, flavor: spec.flavor },
      },
      resources: {},
    };
  }
}
