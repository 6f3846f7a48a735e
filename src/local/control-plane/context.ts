import { join } from 'node:path';
import type { ClusterPki } from './pki.js';

export interface ControlPlanePorts {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
}

/** What every component launcher needs: where to write, which ports, which identities. */
export interface ControlPlaneContext {
  dir: string;
  logDir: string;
  ports: ControlPlanePorts;
  pki: ClusterPki;
  /** Kubeconfig files per client identity, written before the components start. */
  kubeconfigs: { admin: string; controllerManager: string; scheduler: string; kwok: string };
}

export const apiserverUrl = (ctx: ControlPlaneContext): string => `https://127.0.0.1:${ctx.ports.apiserver}`;
export const pkiPath = (ctx: ControlPlaneContext, file: string): string => join(ctx.pki.dir, file);
export const logPath = (ctx: ControlPlaneContext, component: string): string => join(ctx.logDir, `${component}.log`);
