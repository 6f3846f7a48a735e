import { Type } from '@sinclair/typebox';
import { JanitorClient } from '../../client/janitor.js';
import { notFoundError } from '../../domain/errors.js';
import { sweepOrder } from '../../domain/janitor.js';
import type { Api, ApiDeps } from '../api-types.js';
import { errorResponse } from '../errors.js';

const Report = Type.Object({
  startedAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  clusters: Type.Array(Type.String()),
  checked: Type.Integer({ description: 'Objects labelled as ours that the sweep saw' }),
  removed: Type.Array(Type.Object({
    cluster: Type.String(), kind: Type.Unsafe<string>({ type: 'string', enum: [...sweepOrder] }), namespace: Type.Optional(Type.String()), name: Type.String(),
    workflowId: Type.String(), owner: Type.Unsafe<string>({ type: 'string', enum: ['closed', 'missing'] }),
  })),
  failures: Type.Array(Type.String(), { description: 'Clusters that could not be swept, with why' }),
}, { description: 'What the sweep saw and removed' });

export function janitorRoutes(deps: Pick<ApiDeps, 'temporal' | 'taskQueue' | 'janitorGraceSeconds'>) {
  const janitor = new JanitorClient(deps.temporal.client, deps.taskQueue);
  return async function register(app: Api): Promise<void> {
    // Operators (and tokens given the janitor scope) only: a sweep deletes objects on every cluster.
    const config = { scope: 'janitor' as const };

    const tags = ['janitor'];

    app.post('/v1/janitor/run', { config, schema: { operationId: 'runJanitor', tags, summary: 'Sweep every cluster now and answer with what was removed', response: { 200: Report } } },
      () => janitor.runNow(deps.janitorGraceSeconds));

    app.get('/v1/janitor/last', {
      config,
      schema: {
        operationId: 'getLastJanitorReport', tags, summary: 'The report of the latest finished sweep',
        response: { 200: Report, 404: errorResponse('No sweep has finished yet (NOT_FOUND)') },
      },
    }, async () => {
      const report = await janitor.lastReport();
      if (!report) throw notFoundError('the janitor has not finished a sweep yet');
      return report;
    });
  };
}
