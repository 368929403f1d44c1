/**
 * One translation mechanism for the dashboard: English and Spanish dictionaries with the same
 * keys (the compiler checks that Spanish has them all), the language from the user's choice or
 * the browser, `{name}` placeholders.
 */
const en = {
  'app.unreachable': 'Cannot reach the launcher: {error}',
  'app.loading': 'Loading…',
  'nav.pages': 'Pages',
  'nav.chat': 'Chat',
  'nav.models': 'Models',
  'nav.channels': 'Channels',
  'nav.mcp': 'MCP',
  'nav.logs': 'Logs',
  'nav.settings': 'Settings',
  'setup.title': 'Set password',
  'setup.intro': 'This is the first start of PicoClaw. Choose the password for the dashboard (at least 8 characters).',
  'setup.password': 'Password',
  'setup.repeat': 'Repeat it',
  'setup.mismatch': 'The passwords differ.',
  'login.password': 'Password',
  'login.passwordOrToken': 'Password or token',
  'login.submit': 'Log in',
  'banner.running': 'Gateway running',
  'banner.starting': 'Gateway starting…',
  'banner.restarting': 'Gateway restarting…',
  'banner.stopped': 'Gateway stopped',
  'banner.stopping': 'Gateway stopping…',
  'banner.config-error': 'Gateway stopped: the configuration has a problem',
  'banner.crash-loop': 'Gateway keeps crashing',
  'banner.unknown': 'Gateway status unknown',
  'banner.restart': 'Restart',
  'banner.start': 'Start',
  'banner.logout': 'Log out',
  'banner.stop': 'Stop',
  'banner.uptime': 'up {time}',
  'banner.theme': 'Theme: {theme} (change)',
  'theme.system': 'system',
  'theme.light': 'light',
  'theme.dark': 'dark',
  'chat.connected': 'Connected',
  'chat.connecting': 'Connecting…',
  'chat.disconnected': 'Disconnected, retrying…',
  'chat.conversations': 'Conversations',
  'chat.new': 'New conversation',
  'chat.untitled': 'Untitled',
  'chat.rename': 'Rename {title}',
  'chat.delete': 'Delete {title}',
  'chat.renamePrompt': 'Name of this conversation',
  'chat.deleteConfirm': 'Delete “{title}”? It is archived on the server.',
  'chat.hint': 'Ask anything — for example “turn on the kitchen light”. Commands: /help, /model, /stop.',
  'chat.typing': 'PicoClaw is typing',
  'chat.message': 'Message',
  'chat.placeholder': 'Message PicoClaw…',
  'chat.send': 'Send',
  'chat.stop': 'Stop',
  'chat.stopped': '(stopped)',
  'chat.arguments': 'Arguments',
  'chat.result': 'Result',
  'chat.error': 'Error',
  'settings.language': 'Language',
} as const;

export type MessageKey = keyof typeof en;

const es: Record<MessageKey, string> = {
  'app.unreachable': 'No se puede contactar con el launcher: {error}',
  'app.loading': 'Cargando…',
  'nav.pages': 'Páginas',
  'nav.chat': 'Chat',
  'nav.models': 'Modelos',
  'nav.channels': 'Canales',
  'nav.mcp': 'MCP',
  'nav.logs': 'Registros',
  'nav.settings': 'Ajustes',
  'setup.title': 'Elegir contraseña',
  'setup.intro': 'Es el primer arranque de PicoClaw. Elige la contraseña del panel (8 caracteres como mínimo).',
  'setup.password': 'Contraseña',
  'setup.repeat': 'Repítela',
  'setup.mismatch': 'Las contraseñas no coinciden.',
  'login.password': 'Contraseña',
  'login.passwordOrToken': 'Contraseña o token',
  'login.submit': 'Entrar',
  'banner.running': 'Gateway en marcha',
  'banner.starting': 'Gateway arrancando…',
  'banner.restarting': 'Gateway reiniciándose…',
  'banner.stopped': 'Gateway detenido',
  'banner.stopping': 'Gateway deteniéndose…',
  'banner.config-error': 'Gateway detenido: la configuración tiene un problema',
  'banner.crash-loop': 'El gateway falla una y otra vez',
  'banner.unknown': 'Estado del gateway desconocido',
  'banner.restart': 'Reiniciar',
  'banner.start': 'Arrancar',
  'banner.logout': 'Salir',
  'banner.stop': 'Detener',
  'banner.uptime': 'en marcha desde hace {time}',
  'banner.theme': 'Tema: {theme} (cambiar)',
  'theme.system': 'del sistema',
  'theme.light': 'claro',
  'theme.dark': 'oscuro',
  'chat.connected': 'Conectado',
  'chat.connecting': 'Conectando…',
  'chat.disconnected': 'Desconectado, reintentando…',
  'chat.conversations': 'Conversaciones',
  'chat.new': 'Nueva conversación',
  'chat.untitled': 'Sin título',
  'chat.rename': 'Renombrar {title}',
  'chat.delete': 'Borrar {title}',
  'chat.renamePrompt': 'Nombre de esta conversación',
  'chat.deleteConfirm': '¿Borrar «{title}»? Se archiva en el servidor.',
  'chat.hint': 'Pregunta lo que quieras, por ejemplo «enciende la luz de la cocina». Comandos: /help, /model, /stop.',
  'chat.typing': 'PicoClaw está escribiendo',
  'chat.message': 'Mensaje',
  'chat.placeholder': 'Escribe a PicoClaw…',
  'chat.send': 'Enviar',
  'chat.stop': 'Parar',
  'chat.stopped': '(detenido)',
  'chat.arguments': 'Argumentos',
  'chat.result': 'Resultado',
  'chat.error': 'Error',
  'settings.language': 'Idioma',
};

export const languages = { en: 'English', es: 'Español' } as const;
export type Language = keyof typeof languages;

export const language: Language = ((): Language => {
  const chosen = typeof localStorage !== 'undefined' ? localStorage.getItem('picoclaw.lang') : null;
  const wanted = chosen ?? (typeof navigator !== 'undefined' ? navigator.language : 'en');
  return wanted.toLowerCase().startsWith('es') ? 'es' : 'en';
})();

const dictionaries: Record<Language, Record<MessageKey, string>> = { en, es };

export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  return dictionaries[language][key].replace(/\{(\w+)\}/g, (_m, name: string) => String(vars[name] ?? `{${name}}`));
}

export function setLanguage(next: Language) {
  localStorage.setItem('picoclaw.lang', next);
  location.reload();
}
