import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from '../../../src/local/paths.js';

/** Debian's Chromium (tools/install-debian-packages.sh), kept off the network: the machines have none, and it would try Google's. */
export async function launchChromium(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Keeps what the page shows under test-artifacts/, for people to look at after the run. */
export async function keepScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: join(repoRoot, 'test-artifacts', name), fullPage: true });
}
