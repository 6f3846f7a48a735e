import { GoogleAuth } from 'google-auth-library';
import { readFile } from 'node:fs/promises';
import type { GkeConnection } from '../../domain/cluster-presets.js';

const cloudPlatformScope = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * The token in an access-token file, read afresh each time: whoever keeps the file (a sidecar,
 * `gcloud auth print-access-token` in a cron job) rewrites it before the token expires.
 */
export async function readAccessTokenFile(path: string): Promise<string> {
  const token = (await readFile(path, 'utf8')).trim();
  if (!token) throw new Error(`the access token file ${path} is empty`);
  return token;
}

// One GoogleAuth per connection: it keeps its token until shortly before expiry instead of
// asking Google for a new one at every call.
const googleAuths = new WeakMap<GkeConnection, GoogleAuth>();

function googleAuth(connection: GkeConnection): GoogleAuth {
  let auth = googleAuths.get(connection);
  if (!auth) {
    const keyFilename = connection.credentials.type === 'key-file' ? connection.credentials.path : undefined;
    auth = new GoogleAuth({ keyFilename, scopes: [cloudPlatformScope] });
    googleAuths.set(connection, auth);
  }
  return auth;
}

/**
 * A valid OAuth access token of the connection's identity, for the Kubernetes API of a GKE
 * cluster. A secret: use it inside the calling activity, never return, log or signal it.
 */
export async function gkeAccessToken(connection: GkeConnection): Promise<string> {
  if (connection.credentials.type === 'access-token-file') return readAccessTokenFile(connection.credentials.path);
  const token = await googleAuth(connection).getAccessToken();
  if (!token) throw new Error(`no access token from the ${connection.credentials.type} credentials of project ${connection.project}`);
  return token;
}
