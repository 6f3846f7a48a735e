import { v1 } from '@google-cloud/container';
import { credentials } from '@grpc/grpc-js';
import { ApplicationFailure } from '@temporalio/common';
import { AuthClient, type gaxios } from 'google-auth-library';
import type { ClusterPresets, GkeConnection } from '../../domain/cluster-presets.js';
import { readAccessTokenFile } from './credentials.js';

type ClientOptions = NonNullable<ConstructorParameters<typeof v1.ClusterManagerClient>[0]>;

/** Authorizes every GKE call with the token an access-token file holds at that moment. */
class AccessTokenFileClient extends AuthClient {
  constructor(private readonly path: string) {
    super();
  }

  override async getAccessToken(): Promise<{ token: string }> {
    return { token: await readAccessTokenFile(this.path) };
  }

  override async getRequestHeaders(): Promise<Headers> {
    const { token } = await this.getAccessToken();
    return this.addSharedMetadataHeaders(new Headers({ authorization: `Bearer ${token}` }));
  }

  override async request<T>(options: gaxios.GaxiosOptions): gaxios.GaxiosPromise<T> {
    const headers = this.addUserProjectAndAuthHeaders(new Headers(options.headers), await this.getRequestHeaders());
    return this.transporter.request<T>({ ...options, headers });
  }
}

function clientOptions(connection: GkeConnection): ClientOptions {
  if (connection.apiEndpoint) {
    const separator = connection.apiEndpoint.lastIndexOf(':');
    // Plain-text gRPC replaces Google credentials on the channel; the explicit universe domain
    // stops google-auth-library looking for Application Default Credentials (see the simulator).
    return {
      apiEndpoint: connection.apiEndpoint.slice(0, separator),
      port: Number(connection.apiEndpoint.slice(separator + 1)),
      sslCreds: credentials.createInsecure(),
      universeDomain: 'googleapis.com',
    };
  }
  switch (connection.credentials.type) {
    case 'application-default': return {};
    case 'key-file': return { keyFilename: connection.credentials.path };
    case 'access-token-file': return { authClient: new AccessTokenFileClient(connection.credentials.path) };
  }
}

/** One ClusterManagerClient per configured connection, made when first used. */
export class GkeClients {
  private readonly clients = new Map<string, v1.ClusterManagerClient>();

  constructor(private readonly presets: ClusterPresets) {}

  connection(name: string): GkeConnection {
    const connection = this.presets.gkeConnections[name];
    if (!connection) {
      const known = Object.keys(this.presets.gkeConnections);
      throw ApplicationFailure.nonRetryable(
        `unknown GKE connection '${name}': ${known.length > 0 ? `configured are ${known.join(', ')}` : 'none is configured'}`, 'UnknownGkeConnection');
    }
    return connection;
  }

  client(name: string): v1.ClusterManagerClient {
    let client = this.clients.get(name);
    if (!client) {
      client = new v1.ClusterManagerClient(clientOptions(this.connection(name)));
      this.clients.set(name, client);
    }
    return client;
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((client) => client.close()));
  }
}
