// The shapes a secret takes when it leaks: as text, URL-encoded, base64 (Basic auth, encoded
// payloads), and as the byte list pino writes for a Buffer (Node attaches the raw request bytes
// to HTTP parse errors as `rawPacket`). Looking for the plain text alone would miss the last.
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [...new Set([secret, encodeURIComponent(secret), bytes.toString('base64'), [...bytes].join(',')])];
}

/** The forms of any secret found in `text`, as "name (form)" for the failure message. */
export function leakedSecrets(text: string, secrets: Readonly<Record<string, string>>): string[] {
  return Object.entries(secrets).flatMap(([name, secret]) =>
    secretForms(secret).filter((form) => text.includes(form)).map((form) => `${name} (${form === secret ? 'as text' : form.includes(',') ? 'as bytes' : 'encoded'})`));
}
