// on-headers ships no types. Its one function replaces `res.writeHead` with a wrapper that calls
// `listener` (with the response as `this`) once, just before the headers are written.
declare module 'on-headers' {
  import type { ServerResponse } from 'node:http';

  function onHeaders<R extends ServerResponse>(res: R, listener: (this: R) => void): void;
  export default onHeaders;
}
