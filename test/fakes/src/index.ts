export { listen, restartableListener, type Listening } from './listen.js';
export { startFakeLlm, type FakeLlm, type FakeTurn, type RecordedRequest, type ScriptedToolCall } from './fake-llm.js';
export { startFakeHomeAssistant, type FakeHomeAssistant, type HaCall } from './fake-home-assistant.js';
export { spawnGateway, spawnLauncher, type GatewayProcess, type LauncherProcess } from './processes.js';
export { startMosquitto, freePort, type Mosquitto } from './mosquitto.js';
export { startFakeTelegram, type FakeTelegram, type SentCall } from './fake-telegram.js';
export { startRedis, type RedisServer } from './redis-server.js';
export { startFakeSpeech, type FakeSpeech, type SpeechRequest } from './fake-speech.js';
export { startFakeTranscription, parseMultipart, type FakeTranscription, type TranscriptionUpload } from './fake-transcription.js';
