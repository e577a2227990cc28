// make-icons.mjs — renders web/icon.svg into the PNG icons of web/manifest.webmanifest with headless
// Chromium. Run by hand when the icon changes (`node build/make-icons.mjs`); its output is committed.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const web = (name) => fileURLToPath(new URL(`../web/${name}`, import.meta.url));
const BACKGROUND = '#0b1020';   // the icon's own background, the manifest's background_color

// A maskable icon is cropped to as little as a centred circle of 80% of its width: the glyph is
// drawn at 80% on a full-bleed background, which keeps its farthest corner inside that circle.
const ICONS = [
  { file: 'icon-192.png', size: 192, scale: 1, background: 'transparent' },
  { file: 'icon-512.png', size: 512, scale: 1, background: 'transparent' },
  { file: 'icon-maskable-512.png', size: 512, scale: 0.8, background: BACKGROUND },
];

const svg = `data:image/svg+xml;base64,${readFileSync(web('icon.svg')).toString('base64')}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const { file, size, scale, background } of ICONS) {
    await page.setViewportSize({ width: size, height: size });
    const side = Math.round(size * scale);
    await page.setContent(`<!doctype html><body style="margin:0;width:${size}px;height:${size}px;display:grid;place-items:center;background:${background}">
      <img src="${svg}" width="${side}" height="${side}"></body>`);
    await page.locator('img').evaluate((img) => img.decode());
    writeFileSync(web(file), await page.screenshot({ clip: { x: 0, y: 0, width: size, height: size }, omitBackground: true }));
    console.log(`make-icons: web/${file} (${size}×${size})`);
  }
} finally {
  await browser.close();
}
