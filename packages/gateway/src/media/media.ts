/**
 * The gateway's media, in one object `gateway.ts` only wires up: what channels need to take voice
 * notes, files and images in, and the image store the agent reads images back from.
 */
import type { Config } from '@picoclaw/core';
import { createImageStore, type ImageStore } from './image-store.js';
import { createMediaInbox, type MediaInbox } from './media-inbox.js';
import { createTranscriber, type Transcriber } from './transcriber.js';

export interface Media {
  transcriber: Transcriber;
  inbox: MediaInbox;
  images: ImageStore;
}

export function createMedia(options: { config: () => Config; version: string }): Media {
  return {
    transcriber: createTranscriber(options),
    inbox: createMediaInbox(options.config),
    images: createImageStore(options.config),
  };
}
