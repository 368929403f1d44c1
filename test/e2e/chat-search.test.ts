/**
 * The chat's conversation search in real Chromium, against the real launcher, gateway and JSONL
 * session store: two conversations, and a word that is only in one of their answers finds that
 * one (its snippet marked); Enter opens it. Screenshot: test/e2e/screenshots/chat-search-1280.png.
 */
import { startFakeLlm } from '@picoclaw/test-fakes';
import { describe, expect, it } from 'vitest';
import { logIn, useDashboard } from './dashboard-harness.js';

const ui = useDashboard({ name: 'chat-search' });
const shots = new URL('./screenshots/', import.meta.url).pathname;

describe('Chat: conversation search', () => {
  it('finds the conversation whose answer has the word, marks it in a snippet, and opens it', async () => {
    const llm = ui.track(await startFakeLlm([{ text: ['Plant the zucchini ', 'near the fence, in full sun.'] }, { text: ['Try a lentil soup tonight.'] }]));
    const base = await ui.start({
      agents: { defaults: { model_name: 'm' } },
      model_list: [{ model_name: 'm', model: 'groq/llama', api_base: llm.url, api_keys: ['k'] }],
    });
    const page = await ui.browser.newPage({ viewport: { width: 1280, height: 800 } });
    await logIn(page, base);
    await page.getByLabel('Message').fill('plan the garden');
    await page.keyboard.press('Enter');
    await page.getByText('in full sun.', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'New conversation' }).click();
    await page.getByText('Connected').waitFor();
    await page.getByLabel('Message').fill('what about dinner');
    await page.keyboard.press('Enter');
    await page.getByText('Try a lentil soup tonight.').waitFor();
    const conversations = page.getByRole('complementary', { name: 'Conversations' });
    await conversations.getByRole('button', { name: 'plan the garden', exact: true }).waitFor();

    const search = conversations.getByRole('searchbox', { name: 'Search conversations' });
    await search.fill('ZUCCHINI');
    const hits = conversations.getByRole('list', { name: 'Conversations found' });
    await hits.getByRole('button').first().waitFor();
    expect(await hits.getByRole('button').allTextContents()).toEqual(['plan the gardenPlant the zucchini near the fence, in full sun.']);
    expect(await hits.locator('mark').allTextContents()).toEqual(['zucchini']);
    await page.screenshot({ path: `${shots}chat-search-1280.png` });
    await search.press('Enter');
    // The first conversation is open again: its question and answer, not the second's.
    await page.locator('.message.user', { hasText: 'plan the garden' }).waitFor();
    expect(await page.locator('.message', { hasText: 'lentil' }).count()).toBe(0);

    await search.fill('nothing like this');
    await conversations.getByText('No conversation has “nothing like this”.').waitFor();
    await search.fill('');
    await conversations.getByRole('button', { name: 'what about dinner', exact: true }).waitFor();
    await page.close();
  }, 60_000);
});
