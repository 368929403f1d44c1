/** What a turn tells the channel that asked for it, in order. */
export type AgentEvent =
  | { type: 'turn-start'; turnId: string; sessionKey: string }
  /** The model that is answering (the primary, or a fallback). */
  | { type: 'model'; name: string; fallback?: boolean }
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call'; id: string; name: string; arguments: unknown }
  /** `media`: the stored paths (`media/images/…`) of images the tool returned, when a model was shown them. */
  | { type: 'tool-result'; id: string; name: string; content: string; isError: boolean; media?: string[] }
  | {
      type: 'turn-end';
      turnId: string;
      /** The full answer; for `error` a message fit to show the user. */
      text: string;
      reason: 'stop' | 'max-iterations' | 'aborted' | 'error' | 'command';
      model?: string;
      /** The model that answered was a fallback, not the chain's first. */
      fallback?: boolean;
    };

export type AgentSink = (event: AgentEvent) => void;
