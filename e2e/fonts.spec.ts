/**
 * Bold Chinese must be set in a real bold face (issue 12). WenQuanYi Micro Hei has no bold,
 * so Chromium thickens its regular outlines (synthetic bold), which looks hardly heavier than
 * regular text; Noto Sans CJK SC (Debian's `fonts-noto-cjk`) has one and comes before it in
 * the renderer's `--font`. The check asks Chromium (DevTools protocol) which platform face
 * it actually rendered each string with, using the font stack from `renderer/src/styles.css`;
 * ink or width comparisons cannot tell, because synthetic bold adds ink too.
 */
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { closeContexts } from './stack.js';

const STYLES = fileURLToPath(new URL('../renderer/src/styles.css', import.meta.url));
const SAMPLE = '客户满意度统计';

/** The value of `--font` in the renderer's stylesheet, the stack every screen uses. */
function rendererFontStack(): string {
  const match = /--font:\s*([^;]+);/.exec(readFileSync(STYLES, 'utf8'));
  if (!match?.[1]) throw new Error(`No --font in ${STYLES}`);
  return match[1];
}

test.afterAll(async ({ browser }) => {
  await closeContexts(browser);
});

test('bold Chinese in the renderer font stack uses a real bold face, not synthetic bold', async ({ page }) => {
  const stack = rendererFontStack();
  await page.setContent(
    `<html lang="zh-CN"><body style="font-family: ${stack}; font-size: 20px">` +
      `<h1 id="bold" style="font-weight: 700">${SAMPLE}</h1><p id="regular" style="font-weight: 400">${SAMPLE}</p></body></html>`,
  );
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument');
  async function facesOf(selector: string): Promise<string[]> {
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector });
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    return fonts.map((font) => font.postScriptName);
  }
  const boldFaces = await facesOf('#bold');
  const regularFaces = await facesOf('#regular');
  const hint = 'install fonts-noto-cjk (apt-get install -y --no-install-recommends fonts-noto-cjk; .ci/run does)';
  expect(boldFaces, `bold Chinese rendered with ${boldFaces.join(', ')}, which is no bold face: ${hint}`).toEqual([expect.stringMatching(/bold/i)]);
  expect(regularFaces, `regular Chinese rendered with ${regularFaces.join(', ')}`).toEqual([expect.not.stringMatching(/bold/i)]);
});
