import { KubeConfig } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { Agent } from 'node:https';

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

/** What makes two TLS connections interchangeable: whom they trust, who they are, whom they ask for. */
const tlsOptionKeys = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

/**
 * A KubeConfig whose API calls reuse their connections. The library (client-node 1.x) gives every
 * request a new HTTPS agent, so every call opens a connection and pays a TLS handshake, which on
 * two cores is most of a call's CPU and a good part of its latency. This keeps one keep-alive agent
 * per set of TLS options for the life of the config; what is per request (the Authorization
 * header, a token re-read when it rotates) is still set on every request. Agents through a proxy
 * are left as the library makes them.
 */
export class KeepAliveKubeConfig extends KubeConfig {
  private readonly agents = new Map<string, Agent>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getAgent();
    if (!(made instanceof Agent) || made.constructor !== Agent) return;
    const options = made.options as Record<string, unknown>;
    const key = createHash('sha256').update(JSON.stringify(tlsOptionKeys.map((name) => options[name] ?? null))).digest('hex');
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({ ...made.options, keepAlive: true });
      this.agents.set(key, agent);
    }
    context.setAgent(agent);
  }
}
