/**
 * Signing a workstation page in, as the specs of the libraries (scripts, knowledge base) do:
 * in the page's language, signing out whoever the core still has (it keeps its session across
 * page loads, as the desktop app does across restarts).
 */
import { expect, type Browser, type Locator, type Page } from '@playwright/test';

export type Locale = 'en-US' | 'zh-CN';

/** The sign-in screen's and the top bar's words in each language. */
export function signInWords(locale: Locale) {
  return locale === 'en-US'
    ? { username: 'Username', password: 'Password', signIn: 'Sign in', signOut: 'Sign out', presence: 'Presence' }
    : { username: '用户名', password: '密码', signIn: '登录', signOut: '退出', presence: '在线状态' };
}

async function newDeskPage(browser: Browser, url: string, locale: Locale): Promise<Page> {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(url);
  return page;
}

/** Fills the sign-in form on `page` (demo password) and sends it; the caller waits for what it expects next. */
export async function fillSignIn(page: Page, username: string, locale: Locale): Promise<void> {
  const w = signInWords(locale);
  await page.getByLabel(w.username).fill(username);
  await page.getByLabel(w.password).fill('demo');
  await page.getByRole('button', { name: w.signIn }).click();
}

/**
 * Opens `url` in a new 1280x800 context and sends the sign-in form (demo password), waiting for
 * nothing after: for specs whose workstation is not expected to come online at once.
 */
export async function submitSignIn(browser: Browser, url: string, username: string, locale: Locale): Promise<Page> {
  const page = await newDeskPage(browser, url, locale);
  await fillSignIn(page, username, locale);
  return page;
}

/** Opens `url` in a new 1280x800 context and signs in (demo password); agents go Away so no routing offer covers the page. */
export async function openDesk(browser: Browser, url: string, username: string, locale: Locale): Promise<Page> {
  const w = signInWords(locale);
  const page = await newDeskPage(browser, url, locale);
  const signOut = page.getByRole('button', { name: w.signOut, exact: true });
  await expect(page.getByLabel(w.username).or(signOut)).toBeVisible();
  if (await signOut.isVisible()) await signOut.click();
  await fillSignIn(page, username, locale);
  // Signing in starts the core's session (and a lead's board and team fetches): slower than 5 s on a busy machine.
  await expect(page.getByLabel(w.username)).toHaveCount(0, { timeout: 15_000 });
  if (username.startsWith('agent')) {
    await page.getByLabel(w.presence, { exact: true }).selectOption('away');
    await expect
      .poll(
        async () => {
          for (const dismiss of await page.locator('.call-card .call-dismiss').all()) await dismiss.click();
          return page.getByRole('alertdialog').count();
        },
        { timeout: 15_000 },
      )
      .toBe(0);
  }
  return page;
}

/** An element's content size against its box (this tsconfig has no DOM types: the page's element is described here). */
interface ElementExtent {
  scrollWidth: number;
  clientWidth: number;
  scrollHeight: number;
  clientHeight: number;
}

/** Whether the content of `locator`'s element fits its own box: nothing cut off, nothing running out of it over its neighbours. */
export async function fitsItsBox(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => {
    const extent = element as unknown as ElementExtent;
    return extent.scrollWidth <= extent.clientWidth && extent.scrollHeight <= extent.clientHeight;
  });
}
