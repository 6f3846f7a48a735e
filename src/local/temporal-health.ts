import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';

/** True once the Temporal frontend at `address` answers its gRPC health check with SERVING. */
export async function servingTemporal(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1_000 });
  try {
    const response = await connection.healthService.check({});
    return response.status === proto.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING;
  } finally {
    await connection.close();
  }
}
