import { Connection, type TLSConfig } from '@temporalio/client';
import proto from '@temporalio/proto';

/** True once the Temporal frontend at `address` answers its gRPC health check with SERVING; over TLS when given. */
export async function servingTemporal(frontend: { address: string; tls?: TLSConfig }): Promise<boolean> {
  const connection = await Connection.connect({ ...frontend, connectTimeout: 1_000 });
  try {
    const response = await connection.healthService.check({});
    return response.status === proto.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING;
  } finally {
    await connection.close();
  }
}
