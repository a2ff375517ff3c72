/** What the helpers need of a node-redis client. */
interface Commands {
  sendCommand(args: string[]): Promise<unknown>;
}

/** Delete every key that starts with `prefix` (SCAN, so a busy server is not blocked). */
export async function deleteKeys(client: Commands, prefix: string): Promise<void> {
  // Only *, ?, [ and \ are special in a SCAN pattern; braces are not.
  const pattern = `${prefix.replace(/[*?[\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = (await client.sendCommand([
      'SCAN',
      cursor,
      'MATCH',
      pattern,
      'COUNT',
      '1000',
    ])) as [string, string[]];
    if (keys.length > 0) await client.sendCommand(['UNLINK', ...keys]);
    cursor = next;
  } while (cursor !== '0');
}
