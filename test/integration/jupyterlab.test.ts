import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { localKernelSpecs } from '../../src/local/kernel-specs.js';
import { keepScreenshot, launchChromium } from './stack/chromium.js';
import { startJupyterServer, type JupyterServer } from './stack/jupyter-server.js';
import { eventually } from './stack/kube.js';
import { jupyterToken, jupyterUser, startOrchestrator, type Orchestrator } from './stack/orchestrator.js';
import { describeOnRealNode } from './stack/real-node.js';
import { testStateDir } from './stack/stack-info.js';
import { writeKernelSpecs } from './stack/simulated-kernels.js';

describeOnRealNode('JupyterLab in Chromium on a kernel of the gateway', () => {
  let orchestrator: Orchestrator;
  let lab: JupyterServer;
  let browser: BrowserContext;
  const user = jupyterUser;
  const userDataDir = mkdtempSync(join(tmpdir(), 'jupyterlab-chromium-'));

  beforeAll(async () => {
    orchestrator = await startOrchestrator({ KERNEL_SPECS_FILE: writeKernelSpecs(testStateDir, 'kernel-specs-lab', localKernelSpecs(true)) });
    // A user's JupyterLab, with a token bound to that user, as operators give them.
    lab = await startJupyterServer({ gatewayUrl: orchestrator.url, gatewayToken: jupyterToken, lab: true, env: { KERNEL_USERNAME: user } });
    browser = await launchChromium(userDataDir);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await lab?.stop();
    await orchestrator?.stop();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  test("a notebook on the gateway's Python kernel runs a cell and shows its output", async () => {
    // A notebook as a user saves one, naming its kernel: JupyterLab starts that kernel when it opens it.
    const notebook = {
      type: 'notebook',
      content: {
        nbformat: 4, nbformat_minor: 5,
        metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
        cells: [{ cell_type: 'code', id: 'answer', metadata: {}, execution_count: null, outputs: [], source: 'x = 6 * 7\nprint(f"the answer is {x}")' }],
      },
    };
    const saved = await fetch(`${lab.url}/api/contents/gateway.ipynb`, {
      method: 'PUT', headers: { authorization: `token ${lab.token}`, 'content-type': 'application/json' }, body: JSON.stringify(notebook),
    });
    expect(saved.status).toBe(201);

    const page = browser.pages()[0] ?? await browser.newPage();
    await page.goto(`${lab.url}/lab/tree/gateway.ipynb?token=${lab.token}`);
    // The status bar says so once the gateway's kernel answers on its channels.
    await page.getByText('Python 3 | Idle').waitFor({ timeout: 120_000 });
    await page.locator('.jp-Notebook .jp-Cell .cm-content').first().click();
    await page.keyboard.press('Shift+Enter');
    const output = page.locator('.jp-OutputArea-output').first();
    await output.waitFor({ timeout: 120_000 });
    expect(await output.innerText()).toContain('the answer is 42');
    await keepScreenshot(page, 'jupyterlab-gateway-kernel.png');

    // JupyterLab may start a second kernel while it opens a notebook, and shut the other down: one stays.
    const kernels = (await orchestrator.call('GET', `/v1/kernels?user=${user}`)).json().kernels as Array<{ phase: string; kernelName: string }>;
    expect(kernels.filter((kernel) => kernel.phase === 'RUNNING')).toEqual([expect.objectContaining({ kernelName: 'python3' })]);
    // JupyterLab's kernels are the gateway's: shutting them down through Jupyter ends the session.
    const labKernels = await (await fetch(`${lab.url}/api/kernels`, { headers: { authorization: `token ${lab.token}` } })).json() as Array<{ id: string }>;
    expect(labKernels).toHaveLength(1);
    await fetch(`${lab.url}/api/kernels/${labKernels[0]!.id}`, { method: 'DELETE', headers: { authorization: `token ${lab.token}` } });
    await eventually(async () => (await orchestrator.call('GET', `/v1/kernels?user=${user}`)).json().kernels as Array<{ phase: string }>,
      (list) => list.every((kernel) => kernel.phase === 'STOPPED'), 60_000);
  }, 300_000);
});
