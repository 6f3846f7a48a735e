import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { buildListQuery } from '../../src/domain/visibility-query.js';
import { keepScreenshot, launchChromium } from './stack/chromium.js';
import { eventually, uniqueName } from './stack/kube.js';
import { startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { sparkPiJob } from './stack/spark-pi.js';
import { readStackInfo } from './stack/stack-info.js';

describe('the Temporal Web UI finds a user\'s Spark jobs by the DssUser search attribute', () => {
  let orchestrator: Orchestrator;
  let browser: BrowserContext;
  const userDataDir = mkdtempSync(join(tmpdir(), 'web-ui-chromium-'));

  beforeAll(async () => {
    orchestrator = await startOrchestrator();
    browser = await launchChromium(userDataDir);
  });
  afterAll(async () => {
    await browser?.close();
    await orchestrator?.stop();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  test('typing DssUser="<user>" in the query box lists that user\'s job and not another\'s', async () => {
    const user = uniqueName('web-ui');
    const [mine, theirs] = await Promise.all([user, uniqueName('web-ui-other')].map(async (owner) => {
      const started = await orchestrator.call('POST', '/v1/spark-jobs', sparkPiJob(owner, 1));
      expect(started.statusCode).toBe(202);
      const { workflowId } = started.json() as { workflowId: string };
      await orchestrator.temporal.client.workflow.getHandle(workflowId).result();
      return workflowId;
    }));
    const query = buildListQuery({ user });
    // The UI reads the same visibility store, which is eventually consistent. (The query also
    // finds the user's quota workflow, spark-job-quota-<user>, which carries DssUser too.)
    await eventually(async () => (await orchestrator.temporal.client.workflow.count(`${query} AND WorkflowId="${mine}"`)).count, (count) => count === 1);

    const page = browser.pages()[0] ?? await browser.newPage();
    await page.goto(`${readStackInfo().temporalUiUrl}/namespaces/default/workflows`);
    await page.getByTestId('toggle-manual-query').click();
    await page.getByTestId('manual-search-input').fill(query);
    await page.getByTestId('manual-search-button').click();
    await page.waitForURL((url) => url.searchParams.get('query') === query);
    await page.getByRole('link', { name: mine!, exact: true }).waitFor({ timeout: 30_000 });
    expect(await page.getByText(theirs!, { exact: true }).count()).toBe(0);

    await keepScreenshot(page, 'web-ui-dssuser.png');
  }, 120_000);
});
