import { loadSync, type AnyDefinition, type ServiceDefinition } from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

const clusterServiceProto = 'google/container/v1/cluster_service.proto';
const serviceName = 'google.container.v1.ClusterManager';

/**
 * The include directories for the official `cluster_service.proto`. The container package ships
 * only its own proto; the ones it imports (google/api, google/rpc, google/protobuf) come with
 * google-gax, resolved from the container package so that both always agree on the version.
 */
function protoIncludeDirs(): string[] {
  const containerEntry = require.resolve('@google-cloud/container');
  const containerProtos = join(dirname(require.resolve('@google-cloud/container/package.json')), 'build', 'protos');
  // google-gax's exports map hides package.json: its entry point lives in build/src, next to build/protos.
  const gaxEntry = createRequire(containerEntry).resolve('google-gax');
  const gaxProtos = join(dirname(gaxEntry), '..', 'protos');
  return [containerProtos, gaxProtos];
}

function isService(definition: AnyDefinition | undefined): definition is ServiceDefinition {
  return definition !== undefined && !('format' in definition);
}

/**
 * The ClusterManager service as the server sees it: camelCase fields like the client library,
 * enums by name, int64 as numbers, and fields absent from the wire left undefined (not
 * defaulted) so that validation can tell "not set" from "set to zero".
 */
export function loadClusterManagerService(): ServiceDefinition {
  const definitions = loadSync(clusterServiceProto, {
    includeDirs: protoIncludeDirs(),
    keepCase: false,
    enums: String,
    longs: Number,
    defaults: false,
  });
  const service = definitions[serviceName];
  if (!isService(service)) throw new Error(`${clusterServiceProto} does not define the service ${serviceName}`);
  return service;
}
