// Throwaway screenshot helper (not committed): node labs/_shot.ts <dist> <path> <out.png> [width] [dark] [selector]
import { launchChromium } from '../test/site/support/chromium.ts';
import { serve } from '../test/site/support/server.ts';
const [dist, path, out, width = '1280', dark = '', selector = ''] = process.argv.slice(2);
const { url, server } = await serve(dist!);
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: Number(width), height: 900 } });
if (dark) await page.addInitScript(() => localStorage.setItem('starlight-theme', 'dark'));
await page.goto(url + path!, { waitUntil: 'networkidle' });
if (selector) {
  const el = page.locator(selector).first();
  await el.evaluate((e) => e.querySelectorAll('details').forEach((d) => ((d as HTMLDetailsElement).open = true)));
  await el.screenshot({ path: out! });
} else await page.screenshot({ path: out!, fullPage: false });
console.log(await page.evaluate(() => document.documentElement.scrollHeight));
await browser.close();
server.close();
