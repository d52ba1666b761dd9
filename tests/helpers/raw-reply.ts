// A response as the bad-input tests inspect it: status, content type, the raw text (to look for
// what must never appear) and the body parsed when it is JSON.
export interface Reply {
  status: number;
  contentType: string;
  text: string;
  /** The parsed JSON body; undefined when the body is not JSON. */
  body: any;
}

export function reply(status: number, contentType: string | null | undefined, text: string): Reply {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status, contentType: contentType ?? '', text, body };
}
