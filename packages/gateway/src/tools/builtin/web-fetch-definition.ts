/** What the model sees of web_fetch; its implementation (web-fetch-tool.ts) loads at its first call. */
import * as z from 'zod';

export const webFetchDefinition = {
  name: 'web_fetch',
  description: 'Fetches a web page (http or https) and returns its readable text.',
  input: { url: z.string().url() },
};
