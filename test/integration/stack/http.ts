export interface Answer {
  statusCode: number;
  headers: Headers;
  text: string;
  json(): any;
}

/** One real HTTP request to the API under test. */
export async function callApi(baseUrl: string, method: string, path: string, options: { token?: string; body?: string; contentType?: string } = {}): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
    },
    body: options.body,
  });
  const text = await response.text();
  return { statusCode: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}
