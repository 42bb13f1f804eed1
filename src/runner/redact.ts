// Secret scrubbing for anything that leaves the runner (error messages, logs): git may echo
// what it was given, and the student's repository may even contain the token itself.
const MASK = '[REDACTED]';

/** The token and the encodings it travels in (Basic auth, URL-encoded). */
export function secretForms(token: string | null | undefined): string[] {
  if (token === null || token === undefined || token === '') return [];
  const forms = [
    token,
    encodeURIComponent(token),
    Buffer.from(`oauth2:${token}`).toString('base64'),
  ];
  return [...new Set(forms)];
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join(MASK);
  }
  return out;
}
