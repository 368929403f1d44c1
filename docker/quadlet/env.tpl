# /etc/picoclaw/env.tpl, rendered by `op inject` into /run/picoclaw/env.
# Every secret of the homelab table. The config refers to them as ${NAME}
# (see docs/deployment.md), or they override settings directly (PICOCLAW_* names).
PICOCLAW_LAUNCHER_TOKEN={{ op://Homelab/Homelab/password }}
MISTRAL_API_KEY={{ op://Homelab/PicoClaw - Mistral AI Token/credential }}
OPENROUTER_API_KEY={{ op://Homelab/PicoClaw - OpenRouter Token/credential }}
GROQ_API_KEY={{ op://Homelab/OpenClaw - Groq API Key/credential }}
GEMINI_API_KEY={{ op://Homelab/OpenClaw - Gemini API Key/credential }}
PICOCLAW_CHANNELS_TELEGRAM_TOKEN={{ op://Homelab/PicoClaw - Telegram Token/credential }}
HA_TOKEN={{ op://Homelab/Home Assistant - PicoClaw Token/credential }}
OPENCODE_ZEN_TOKEN={{ op://Homelab/OpenCode - Zen Token/credential }}
