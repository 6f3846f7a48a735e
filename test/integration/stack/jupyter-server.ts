import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../src/local/ports.js';
import { ComponentError, SupervisedProcess } from '../../../src/local/supervised-process.js';
import { uniqueName } from './kube.js';
import { pinnedVersion, pythonVenvProgram } from './python-tools.js';
import { testStateDir } from './stack-info.js';

export interface JupyterServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** For `Authorization: token <token>` on the server's own API. */
  token: string;
  logFile: string;
  stop(): Promise<void>;
}

/** The virtualenv's `jupyter`, under the cache key tools/build-jupyter.sh gives it. */
function jupyterBinary(): string {
  return pythonVenvProgram('jupyter', `${pinnedVersion('JUPYTERLAB_VERSION')}-server${pinnedVersion('JUPYTER_SERVER_VERSION')}`, 'jupyter');
}

/**
 * Jupyter Server (JupyterLab with `lab`) as a gateway client of our API, the way a user's Jupyter
 * talks to Enterprise Gateway. Its KERNEL_* variables (`env`, e.g. KERNEL_USERNAME) go to the
 * gateway with every kernel start; nothing of this machine's Jupyter configuration or environment does.
 * Ready once GET /api/status answers 200, which in gateway mode means the gateway answered
 * GET /api/kernels too. `stop()` is Ctrl-C's shutdown (Jupyter DELETEs the kernels it started at
 * the gateway), SIGKILL after 10 s: stop it before the gateway.
 */
export async function startJupyterServer(options: { gatewayUrl: string; gatewayToken: string; lab?: boolean; env?: Record<string, string> }): Promise<JupyterServer> {
  const name = uniqueName(options.lab ? 'jupyter-lab' : 'jupyter-server');
  const jupyter = jupyterBinary();
  if (!existsSync(jupyter)) throw new ComponentError(name, `${jupyter} is missing: run 'bash tools/build-all.sh'`);
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const subdir = (sub: string) => {
    mkdirSync(join(dir, sub));
    return join(dir, sub);
  };
  const root = subdir('root');
  const logDir = join(testStateDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const token = randomBytes(24).toString('hex');
  const port = await freePort();
  // GatewayClient forwards every KERNEL_* variable of its process to the gateway, and reads JUPYTER_* itself.
  const inherited = Object.fromEntries(Object.keys(process.env).filter((key) => /^(KERNEL_|JUPYTER_)/.test(key)).map((key) => [key, undefined]));
  const server = SupervisedProcess.start({
    name,
    // SupervisedProcess has the kernel send SIGTERM when this process dies, but on SIGTERM Jupyter
    // first DELETEs its kernels at the gateway, which in a test has usually died with this process:
    // Jupyter then never exits. A second setpriv makes the death signal SIGKILL.
    command: '/usr/bin/setpriv',
    args: [
      '--pdeathsig', 'SIGKILL', '--', jupyter, options.lab ? 'lab' : 'server',
      // Without retries: on another port than the one chosen, the readiness check would wait for nothing.
      '--ServerApp.ip=127.0.0.1', `--ServerApp.port=${port}`, '--ServerApp.port_retries=0',
      '--ServerApp.open_browser=False', `--ServerApp.root_dir=${root}`,
      // CI runs as root, which Jupyter refuses unless told.
      '--ServerApp.allow_root=True',
      `--IdentityProvider.token=${token}`,
      `--gateway-url=${options.gatewayUrl}`, `--GatewayClient.auth_token=${options.gatewayToken}`,
      // A kernel start waits for a pod; GatewayClient also sends request_timeout - 2 s as KERNEL_LAUNCH_TIMEOUT.
      '--GatewayClient.request_timeout=120', '--GatewayClient.connect_timeout=120',
    ],
    logFile,
    env: {
      ...inherited,
      HOME: subdir('home'), JUPYTER_CONFIG_DIR: subdir('config'), JUPYTER_DATA_DIR: subdir('data'), JUPYTER_RUNTIME_DIR: subdir('runtime'),
      ...options.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await server.waitUntilReady('answering GET /api/status', async () => {
      const response = await fetch(`${url}/api/status`, { headers: { authorization: `token ${token}` }, signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      return response.status === 200;
    }, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, token, logFile, stop };
}
