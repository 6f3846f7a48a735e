import type { Api } from '../api-types.js';

export async function openapiRoutes(app: Api): Promise<void> {
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, () => app.swagger());
}
